package pack

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pack-publish/pack-publish/internal/goldentest"
)

// corpusBroken are the corpus packs that Palette would refuse or could not
// deploy; every other corpus pack is in the shape of a pack Palette serves.
var corpusBroken = []string{
	"golden-centos-aws-7.7.1908",    // trailing commas: not JSON (F1)
	"haproxy-unified-gateway-1.0.1", // a listed chart archive is missing (F11)
	"vault-0.28.0",                  // the chart "archive" is an HTML page (F18)
}

// TestCorpus validates testdata/corpus, packs in the shapes of published
// community packs (chart packs with nested charts, OS, k8s, CNI and CSI
// packs, presets with add: and remove:, empty optional files, vendor
// version schemes), against a golden of every finding. Only the genuinely
// broken packs may be invalid, and strict mode must fail fewer than a third.
func TestCorpus(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	var (
		members  []Member
		findings [][]Finding
	)
	for _, d := range dirs {
		p, f := Load(t.Context(), os.DirFS(filepath.Join("testdata/corpus", d.Name())), Options{})
		for i := range f {
			f[i].File = "packs/" + d.Name() + "/" + f[i].File
		}
		members = append(members, Member{Dir: "packs/" + d.Name(), Pack: p, Valid: p != nil && !HasErrors(f, false)})
		findings = append(findings, f)
	}
	for i, f := range CheckSet(members, nil) {
		findings[i] = append(findings[i], f...)
	}
	var (
		b               strings.Builder
		invalid, strict []string
	)
	for i, d := range dirs {
		state := "valid"
		switch {
		case members[i].Pack == nil || HasErrors(findings[i], false):
			state = "invalid"
			invalid = append(invalid, d.Name())
			strict = append(strict, d.Name())
		case HasErrors(findings[i], true):
			state = "fails strict"
			strict = append(strict, d.Name())
		}
		fmt.Fprintf(&b, "== %s (%s)\n", d.Name(), state)
		for _, f := range findings[i] {
			b.WriteString(f.String() + "\n")
		}
	}
	fmt.Fprintf(&b, "== %d packs: %d invalid, %d fail strict\n", len(dirs), len(invalid), len(strict))
	goldentest.Check(t, "testdata/corpus.golden.txt", b.String(), *update)
	if diff := cmp.Diff(corpusBroken, invalid); diff != "" {
		t.Errorf("invalid corpus packs (-want +got):\n%s", diff)
	}
	if 3*len(strict) >= len(dirs) {
		t.Errorf("%d of %d corpus packs fail strict, want fewer than a third: %v", len(strict), len(dirs), strict)
	}
	for _, name := range corpusBroken {
		if !slices.Contains(strict, name) {
			t.Errorf("%s is broken but passes strict", name)
		}
	}
}
