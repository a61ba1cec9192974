package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/pack-publish/pack-publish/internal/config"
	"github.com/pack-publish/pack-publish/internal/gittest"
)

// BenchmarkLint200 is `pack-publish --dry-run --detect all` over 200 packs:
// discovery, every lint rule, archiving and manifests. Target: under a second
// per run on one core (go test -bench Lint200 -cpu 1).
func BenchmarkLint200(b *testing.B) {
	r := gittest.Init(b)
	for i := range 200 {
		r.Write(gittest.Pack(fmt.Sprintf("packs/p%03d", i), fmt.Sprintf("p%03d", i), "1.0.0"))
	}
	r.Commit("200 packs")
	c := &config.Config{Workspace: r.Dir, PacksDirs: []string{"packs"}, Detect: "all", DryRun: true, Concurrency: 8, Auth: "none"}
	b.ResetTimer()
	for b.Loop() {
		res, err := Run(context.Background(), c, Options{})
		if err != nil || len(res.Packs) != 200 || res.ExitCode() != 0 {
			b.Fatalf("Run() = %v, %d packs, exit %d", err, len(res.Packs), res.ExitCode())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/200packs")
}
