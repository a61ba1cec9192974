package publish_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/content/memory"

	"github.com/pack-publish/pack-publish/internal/publish"
)

// ExamplePack publishes one pack's archive into a memory store, then again:
// the second run finds the same layer under the tag and uploads nothing. The
// manifest digest is the ORAS v1.0.0 layout in miniature: it changes only
// when the layer, the title or the created time does.
func ExamplePack() {
	archive := []byte("stands in for demo-1.0.0.tar.gz")
	layer := publish.Layer{
		Digest: digest.FromBytes(archive),
		Size:   int64(len(archive)),
		Open:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(archive)), nil },
	}
	opts := publish.Options{Title: "demo-1.0.0.tar.gz", Created: "2024-01-01T00:00:00Z"}
	store := memory.New()
	for range 2 {
		out, err := publish.Pack(context.Background(), store, "1.0.0", layer, opts)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(out.Status, out.Uploaded, out.Digest)
	}
	// Output:
	// pushed true sha256:a5ddb82c6729be3744923576176d2defd4d7f3ae0812979f5d5b058e45f9ee04
	// unchanged false sha256:a5ddb82c6729be3744923576176d2defd4d7f3ae0812979f5d5b058e45f9ee04
}
