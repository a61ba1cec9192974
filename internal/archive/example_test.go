package archive_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing/fstest"

	"github.com/pack-publish/pack-publish/internal/archive"
)

// The digest below is the reproducibility contract in miniature: it must not
// change unless the archive format does on purpose.
func ExampleWrite() {
	fsys := fstest.MapFS{
		"pack.json":   {Data: []byte(`{"name":"demo","version":"1.0.0"}`)},
		"values.yaml": {Data: []byte("pack: {}\n")},
		"logo.png":    {Data: []byte("\x89PNG")},
	}
	ctx := context.Background()
	entries, findings, err := archive.Scan(ctx, fsys, archive.Options{})
	if err != nil || len(findings) > 0 {
		fmt.Println(findings, err)
		return
	}
	h := sha256.New()
	if _, err := archive.Write(ctx, h, fsys, "demo", entries, archive.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(archive.FileName("demo", "1.0.0"))
	fmt.Printf("sha256:%x\n", h.Sum(nil))
	// Output:
	// demo-1.0.0.tar.gz
	// sha256:4ff2a67350ec1c33cac29f7de2274b093850f3ad139e5fcad8b6479532dd7ee9
}
