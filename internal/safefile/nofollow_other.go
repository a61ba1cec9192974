//go:build !unix

package safefile

// oNoFollow: no such flag here; the Lstat checks before the open stand alone.
const oNoFollow = 0
