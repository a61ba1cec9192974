// Package archive builds the reproducible NAME-VERSION.tar.gz of a pack and
// reads published archives back for the re-run comparison.
//
// Scan walks a pack folder (an fs.FS, normally an os.Root's FS, which keeps
// every open inside the folder) and returns its entries; Write streams them
// as a tar.gz. The archive has one top-level
// folder, the pack folder's own name, then a folder entry before its
// children and every path in byte order. Every entry has the same mtime
// (Options.ModTime, the Unix epoch by default), uid and gid 0, no user or
// group name, and the mode 0755 (folders, and files with any executable
// bit), 0644 (other files) or 0777 (symlinks). Headers are USTAR, or PAX
// for names USTAR cannot hold. The gzip header has no name and no time, and
// the compressor is pinned (CompressionLevel). The same files therefore give
// the same digest on any machine, clone, umask, owner or date.
//
// Repository content is hostile. Scan reports, as error findings, and leaves
// out:
//
//   - A3: a symlink that is absolute (even one pointing inside the pack:
//     absolute links break on other machines) or that resolves above the
//     pack folder. Targets are resolved like the kernel does, one name at a
//     time, through chains of links and directory links, 40 links at most.
//   - A4: special files: FIFOs, sockets, devices.
//   - A5: a file over Options.MaxFileSize, a pack over MaxTotalSize, or more
//     than MaxEntries paths.
//   - A6: a name, or a symlink target, with control characters or invalid
//     UTF-8.
//
// Scan goes on after a finding, so every problem of a pack is reported at
// once. A relative symlink that stays inside the pack is archived as a
// symlink with its target as written, whether it points at a file, at a
// folder or at another such link. A dangling link is judged by its text and
// kept when that stays inside the pack, as tar keeps it. `.git`, a folder or
// a submodule's file, is never archived, at any depth; nothing else is left
// out.
//
// ReadContents reads any pack archive (ours, or one made by hand with tar or
// git archive and pushed with oras) into Contents: the paths below the
// top-level folder with their type, executable bit, SHA-256 or link target.
// Diff compares two Contents; an empty Diff means "the same files" in the
// sense of the re-run rule, whatever the compression, order, modes, owners
// or times.
package archive
