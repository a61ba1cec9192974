package pipeline

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
	"github.com/pack-publish/pack-publish/internal/registrytest"
)

// TestRun_restoresBasePathWithNotice: a re-run that finds the base-path
// artifact gone (garbage-collected as untagged) while the packs are still
// there pushes it again and says so in a notice; the first run, which
// pushes it as a matter of course, does not.
func TestRun_restoresBasePathWithNotice(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic})
	dir := ws(t, gittest.Pack("packs/a", "a", "1.0.0"), gittest.Pack("packs/b", "b", "2.0.0"))
	c := cfg(dir, func(c *config.Config) {
		c.DryRun, c.Registry, c.CAFile, c.BasePath = false, reg.Host, reg.CAFile, "team"
		c.Auth, c.Username, c.Password = "basic", reg.Username, reg.Password
	})
	ctx := context.Background()
	run := func(name string) *Result {
		t.Helper()
		res, err := Run(ctx, c, Options{})
		if err != nil {
			t.Fatalf("%s: Run() = %v", name, err)
		}
		return res
	}
	notice := func(res *Result) string {
		for _, n := range res.Notices {
			if strings.Contains(n, "base-path artifact") {
				return n
			}
		}
		return ""
	}

	first := run("first run")
	if first.BasePath == nil || !first.BasePath.Pushed || notice(first) != "" {
		t.Fatalf("first run: base path %+v, notices %q; want pushed without a notice", first.BasePath, first.Notices)
	}
	if again := run("re-run"); again.BasePath.Pushed || notice(again) != "" {
		t.Fatalf("re-run: base path %+v, notices %q; want found, no notice", again.BasePath, again.Notices)
	}

	// The registry's garbage collection deletes the untagged artifact.
	del, _ := http.NewRequest(http.MethodDelete, "https://"+reg.Host+"/v2/team/spectro-packs/archive/manifests/"+first.BasePath.Digest, nil)
	del.SetBasicAuth(reg.Username, reg.Password)
	resp, err := reg.Client().Do(del)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("deleting the base-path artifact: %v %v", resp, err)
	}
	resp.Body.Close()

	res := run("run after the deletion")
	if res.BasePath == nil || !res.BasePath.Pushed || res.BasePath.Digest != first.BasePath.Digest {
		t.Fatalf("base path %+v, want %s pushed again", res.BasePath, first.BasePath.Digest)
	}
	for _, p := range res.Packs {
		if p.Status != StatusUnchanged {
			t.Errorf("%s: %s (%s), want unchanged", p.Path, p.Status, p.Message)
		}
	}
	n := notice(res)
	for _, want := range []string{"was missing", "pushed again", reg.Host + "/team/spectro-packs/archive@" + first.BasePath.Digest, "garbage collection", "Registry settings that keep packs"} {
		if !strings.Contains(n, want) {
			t.Errorf("notice %q lacks %q", n, want)
		}
	}
}
