package action

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pack-publish/pack-publish/internal/palette"
	"github.com/pack-publish/pack-publish/internal/pipeline"
	"github.com/pack-publish/pack-publish/internal/textsafe"
)

func paletteResults() map[string]*palette.Result {
	return map[string]*palette.Result{
		"synced": {Registry: "harbor-packs", RegistryUID: "5f6d", Kind: palette.KindBasic, Synced: true, SyncStatus: "Completed", SyncMS: 12345,
			Packs: []palette.PackStatus{{Name: "hello", Version: "1.0.0", Visible: true, PackUID: "p1"}}},
		"failed": {Registry: "harbor|packs", Kind: palette.KindBasic, SyncStatus: "Failed", SyncMS: 2100,
			Packs: []palette.PackStatus{{Name: "hello", Version: "1.0.0"}},
			Error: "the sync of registry \"harbor|packs\" failed in Palette (status \"Failed\", \"<b>x</b>\")\nand hello:1.0.0 is not visible"},
	}
}

// TestPalette_goldens renders the Palette step in the outputs, the step
// summary and the terminal table, synced and failed.
func TestPalette_goldens(t *testing.T) {
	t.Parallel()
	for name, p := range paletteResults() {
		res := sampleResult()
		res.Palette = p
		var b strings.Builder
		for _, o := range outputs(res) {
			if o.Name == "palette-synced" {
				b.WriteString(o.Name + "=" + o.Value + "\n\n")
			}
		}
		b.WriteString(paletteMarkdown(res))
		lines := tableLines(res, "")
		b.WriteString(lines[len(lines)-1] + "\n")
		golden(t, "palette-"+name+".golden.txt", b.String())
	}
}

// TestPalette_exitAndProblem: a failed Palette step makes the run exit 1 and
// reports the error; the packs keep their status.
func TestPalette_exitAndProblem(t *testing.T) {
	t.Parallel()
	for name, p := range paletteResults() {
		res := &pipeline.Result{Packs: []pipeline.PackResult{{Name: "hello", Version: "1.0.0", Status: pipeline.StatusPushed}}, Palette: p}
		var out bytes.Buffer
		reportPalette(&terminal{out: &out, diag: &out, esc: textsafe.Line}, res)
		wantCode, wantOut := 0, ""
		if name == "failed" {
			wantCode, wantOut = 1, "error: palette: the sync of registry"
		}
		if res.ExitCode() != wantCode || !strings.HasPrefix(out.String(), wantOut) || (wantOut == "") != (out.Len() == 0) {
			t.Errorf("%s: exit %d, printed %q", name, res.ExitCode(), out.String())
		}
	}
	none := &pipeline.Result{Packs: []pipeline.PackResult{{Status: pipeline.StatusPushed}}}
	if none.ExitCode() != 0 || paletteSynced(none) != "" || paletteMarkdown(none) != "" {
		t.Error("a run without palette-api-key shows a Palette step")
	}
}
