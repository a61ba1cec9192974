package pack

import (
	"bytes"
	"fmt"
	"io"
)

// The rules on the files of the pack folder other than its metadata.

// pngSignature starts every PNG file (PNG specification, 5.2); its first
// four bytes already tell PNG apart from JPEG, GIF, WebP and SVG.
var pngSignature = []byte("\x89PNG")

// logo checks that logo.png exists (F3) and is a PNG image (F16).
func (c *checker) logo() {
	const file = "logo.png"
	resolved, msg := c.regularPath(file)
	if msg != "" {
		c.find("F3", file, 0, 0, msg, "add the pack's logo as logo.png at the root of the pack folder")
		return
	}
	f, err := c.fsys.Open(resolved)
	if err != nil {
		c.find("F3", file, 0, 0, fmt.Sprintf("cannot read %s: %v", file, err), "add the pack's logo as logo.png at the root of the pack folder")
		return
	}
	defer f.Close()
	head := make([]byte, len(pngSignature))
	n, _ := io.ReadFull(f, head)
	if !bytes.Equal(head[:n], pngSignature) {
		c.find("F16", file, 0, 0, fmt.Sprintf("logo.png is not a PNG image (it starts with % x%s)", head[:n], imageKind(head[:n])),
			"convert the logo to PNG (e.g. with ImageMagick: magick logo.jpg logo.png)")
	}
}

// imageKind names the format a file's first bytes suggest, as ", a JPEG".
func imageKind(head []byte) string {
	for _, k := range []struct{ magic, name string }{
		{"\xff\xd8\xff", "a JPEG"}, {"GIF8", "a GIF"}, {"RIFF", "a WebP"}, {"<svg", "an SVG"}, {"<?xm", "an SVG"},
	} {
		if bytes.HasPrefix(head, []byte(k.magic)) {
			return ": " + k.name
		}
	}
	return ""
}

// readme: README.md is optional in the docs but required by pack-central (F4).
func (c *checker) readme() {
	if msg := c.regular("README.md"); msg != "" {
		c.find("F4", "README.md", 0, 0, msg+" (optional for Palette; pack-central requires one)", "add a README.md describing the pack")
	}
}

// ownArchive: a build output inside the pack would be archived with it (A2).
func (c *checker) ownArchive() {
	p := c.pack
	if p.Name == "" || p.Version == "" {
		return
	}
	if out := p.Name + "-" + p.Version + ".tar.gz"; c.regular(out) == "" {
		c.find("A2", out, 0, 0, "the pack folder holds its own archive, which would be published inside the new one", "delete "+out+" and keep build outputs outside the pack folder")
	}
}
