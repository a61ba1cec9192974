package archive

import (
	"time"

	"github.com/klauspost/compress/gzip"
)

// CompressionLevel is the gzip level of every archive. The compressor is
// github.com/klauspost/compress/gzip at its default level (6), pinned in
// go.mod. It writes standard gzip that every tool reads, about twice as fast
// as compress/gzip on text and fifty times on data that is already
// compressed (chart .tgz files), where it stores blocks instead of searching
// them (BENCHMARKS.md). Compressor, version and level are part of the
// reproducibility contract: changing any of them changes every layer digest
// (re-runs still recognise the same files by the unpack-and-compare rule,
// see Diff).
const CompressionLevel = gzip.DefaultCompression

// Default caps, used when Options leaves them zero.
const (
	DefaultMaxFileSize  = 1 << 30 // 1 GiB per file
	DefaultMaxTotalSize = 4 << 30 // 4 GiB per pack
	DefaultMaxEntries   = 100_000 // files, directories and links per pack
)

// EntryType is the kind of an archived path.
type EntryType string

// The kinds of entries an archive holds.
const (
	Dir     EntryType = "dir"
	File    EntryType = "file"
	Symlink EntryType = "symlink"
)

// Entry is one archived path below the pack folder.
type Entry struct {
	Path string    // slash-separated, relative to the pack folder, no trailing slash
	Type EntryType // Dir, File or Symlink
	Exec bool      // files: an executable bit is set in the source
	Size int64     // files: the size in bytes
	Link string    // symlinks: the target as written
}

// Options stamp and bound an archive. The zero value is usable.
type Options struct {
	ModTime      time.Time // mtime of every entry, whole seconds; zero means the Unix epoch
	MaxFileSize  int64     // 0 means DefaultMaxFileSize
	MaxTotalSize int64     // 0 means DefaultMaxTotalSize
	MaxEntries   int       // 0 means DefaultMaxEntries
	// SkipContents: Write hashes no file and returns no Contents, for a
	// caller that rarely needs them and can read them back from the archive
	// (ReadContents) when it does; a pass of SHA-256 over every byte saved.
	SkipContents bool
}

func (o Options) withDefaults() Options {
	if o.ModTime.IsZero() {
		o.ModTime = time.Unix(0, 0)
	}
	o.ModTime = o.ModTime.Truncate(time.Second)
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = DefaultMaxTotalSize
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	return o
}

// FileName is the archive's file name and layer title: NAME-VERSION.tar.gz.
func FileName(name, version string) string { return name + "-" + version + ".tar.gz" }
