// Package cache is a content-addressed action cache for cells, in the
// manner of Bazel's action cache and Go's build cache: a Key is the sha256
// of everything that can change a cell's output (Inputs), and a Store maps
// a Key to the output files and some metadata.
//
// # Keys
//
// Inputs.Key hashes a fixed sequence of fields. Every string is written
// with its length in front (8 bytes, big endian), every slice and map with
// its element count, and map entries in sorted key order, so ("ab","c") and
// ("a","bc") differ, map insertion order does not matter, and a nil map
// equals an empty one. The sequence starts with a version string
// (keyDomain); changing the encoding means changing that string, and
// TestKeyPinned catches a change made by accident. Env and Argv keep the
// caller's order: a different order gives a different key, which at worst
// costs a rebuild. Paths of the build directory must be replaced by
// placeholders before they reach Inputs; the package cannot tell them apart.
//
// # Store layout
//
//	<Dir>/v1/<aa>/<key>/manifest.json    version, key, meta, and per file: sha256, size, mode
//	<Dir>/v1/<aa>/<key>/files/<name>     the output files, read-only (0444, or 0555 if executable)
//	<Dir>/v1/tmp-*                       entries being written or removed
//
// <aa> is the first byte of the key in hex. The files sit under files/ so
// an output called manifest.json cannot collide with the manifest. Names
// are slash-separated and local (filepath.IsLocal); "bin/hello" is allowed.
//
// # Atomicity and verification
//
// Put builds a complete entry in a tmp-* directory and renames it into
// place. If the rename fails because another Put of the same key won, the
// existing entry is kept and Put succeeds. Nothing is fsynced: a crash can
// leave an entry with short files, which Get detects.
//
// Get treats the cache as untrusted. It stages every file under a hidden
// temporary name in the destination directory while hashing it, compares
// size and sha256 with the manifest, and only when all files match renames
// them to their names. An entry that is missing a file, has a wrong size or
// digest, or a manifest that does not parse is a miss: it is removed (by a
// rename to tmp-* and a RemoveAll, so readers never see half an entry) and
// the caller rebuilds. Get returns an error only for problems with the
// destination directory. A hit sets the manifest's mtime to now; Prune
// uses that as the last-used time.
//
// # Copy or hard link on restore
//
// Get copies by default. A hard link would share the inode with the cache,
// so a tool that edits its output in place (strip, objcopy, chmod +w and a
// write) would change the cache entry too. With FROMSCRATCH_CACHE_LINK=1
// Get hard-links instead (falling back to a copy across file systems):
// faster for large outputs, and still safe in the sense that a changed
// cache file fails verification on the next Get and is rebuilt, never
// used. Linked outputs keep the cache's read-only mode; copies get the
// mode the file had when it was Put (the permission bits).
package cache
