package changes

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// fastImportRepo generates a repository with packs pack folders and commits
// commits (each changing one pack) with git fast-import, and returns its
// folder and the SHAs of the commit in the middle and of the last one.
func fastImportRepo(b *testing.B, packs, commits int) (dir, mid, head string) {
	b.Helper()
	dir = b.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("init", "-q", "-b", "main")
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	blob := func(s string) { fmt.Fprintf(w, "data %d\n%s\n", len(s), s) }
	when := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	fmt.Fprintf(w, "commit refs/heads/main\nmark :1\ncommitter T <t@example.com> %d +0000\n", when)
	blob("packs")
	for p := range packs {
		fmt.Fprintf(w, "M 100644 inline packs/p%04d/pack.json\n", p)
		blob(fmt.Sprintf(`{"name":"p%04d","version":"1.0.0"}`, p))
		fmt.Fprintf(w, "M 100644 inline packs/p%04d/values.yaml\n", p)
		blob("pack: {}")
	}
	for c := 2; c <= commits; c++ {
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter T <t@example.com> %d +0000\n", c, when+int64(c))
		blob(fmt.Sprintf("change %d", c))
		fmt.Fprintf(w, "from :%d\nM 100644 inline packs/p%04d/values.yaml\n", c-1, c%packs)
		blob(fmt.Sprintf("pack: {n: %d}", c))
	}
	fmt.Fprintf(w, "get-mark :%d\n", commits/2)
	w.Flush()
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	run("reset", "-q", "--hard", "main")
	mid = run("rev-parse", fmt.Sprintf("main~%d", commits-commits/2))
	head = run("rev-parse", "main")
	return dir, mid[:40], head[:40]
}

// BenchmarkDetect compares Detect with plain `git diff --name-only` on the
// same range of a repository with 2,000 packs and 20,000 commits.
func BenchmarkDetect(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a large repository")
	}
	dir, base, head := fastImportRepo(b, 2000, 20000)
	ctx := context.Background()
	timeIt := func(fn func()) time.Duration {
		start := time.Now()
		fn()
		return time.Since(start)
	}
	var detect, diff time.Duration
	for b.Loop() {
		detect += timeIt(func() {
			res, err := Detect(ctx, Options{Dir: dir, Roots: []string{"packs"}, Range: Range{Base: base, Head: head}})
			if err != nil || len(res.Changed) != 2000 {
				b.Fatalf("Detect() = %d packs, %v", len(res.Changed), err)
			}
		})
		diff += timeIt(func() {
			cmd := exec.Command("git", "diff", "--name-only", base, head)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			if out, err := cmd.Output(); err != nil || len(out) == 0 {
				b.Fatalf("git diff: %v", err)
			}
		})
	}
	b.ReportMetric(float64(detect.Milliseconds())/float64(b.N), "detect-ms")
	b.ReportMetric(float64(diff.Milliseconds())/float64(b.N), "gitdiff-ms")
	b.ReportMetric(float64(detect)/float64(diff), "x-vs-git-diff")
}
