// Package archive builds the reproducible NAME-VERSION.tar.gz of a pack and
// reads published archives back for the re-run comparison.
//
// An archive has one top-level folder, the pack folder's own name, and below
// it every file of the pack in byte order, with fixed mtimes, uid and gid 0,
// no user or group names, and modes normalised to 0755 (directories and
// executables), 0644 (other files) and 0777 (symlinks). The gzip header has
// no name and no time, and the compression level is pinned
// (CompressionLevel). The same content therefore gives the same digest on any
// machine, clone, umask or date.
//
// Repository content is treated as hostile. Scan refuses, as findings:
// symlinks that are absolute or resolve outside the pack (through `..`,
// chains of links or directory links) (A3), special files such as FIFOs and
// devices (A4), files and packs over the size caps (A5), and names that are
// not printable UTF-8 (A6). Relative symlinks that stay inside the pack are
// archived as symlinks with their target as written; a dangling relative
// link inside the pack is kept too, as `tar` would. `.git` is never archived.
package archive
