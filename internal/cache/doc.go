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
// # File digests
//
// Memo remembers file digests by absolute path and trusts a record only
// while the file's size, mtime, device and inode are unchanged. NewMemo's
// memo lives for the process (FileDigest uses one); LoadMemo's is also
// saved to a file (the pipeline keeps digests.json in its cache
// directory), which Save replaces atomically and merges with what other
// processes saved meanwhile, under an flock on <file>.lock. A damaged memo
// file reads as an empty memo.
//
// # Store layout
//
//	<Dir>/v1/<aa>/<key>/manifest.json    version, key, meta, and per file: sha256, size, mode
//	<Dir>/v1/<aa>/<key>/files/<name>     the output files, read-only (0444, or 0555 if executable)
//	<Dir>/v1/tmp-*                       entries being written or removed
//	<Dir>/v1/lock                        the store lock (flock), empty
//
// <aa> is the first byte of the key in hex. The files sit under files/ so
// an output called manifest.json cannot collide with the manifest. Names
// are slash-separated and local (filepath.IsLocal); "bin/hello" is allowed.
//
// # Atomicity and verification
//
// Put builds a complete entry in a tmp-* directory and renames it into
// place. If an entry for the key is already there (another Put, in this
// process or another, won), it is kept and Put succeeds; if that entry's
// manifest does not parse, it is replaced. Nothing is fsynced: a crash can
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
// # Sharing a store between processes
//
// Any number of processes and goroutines may use one store at once (two
// builds in one checkout). Reads take no lock: Get reads an entry through
// a handle on its directory (os.Root), so an entry removed or replaced
// meanwhile reads as damaged, never as a mix of two entries, and a hit
// returns exactly the bytes Put stored. Every change of what an entry path
// names (Put's rename into place, a removal by Get, Prune or Clear, the
// removal of an empty shard) happens under the store lock, an flock(2) on
// <Dir>/v1/lock held for a few renames. Under it a removal first checks
// that the path still names the entry it meant (Get: the same directory
// it found damaged; Prune: still unused), so no one removes an entry
// another process has just published. Each tmp-* directory is locked by
// its writer, and Prune and Clear remove only unlocked ones older than an
// hour, so no Put loses its temporary files; entries are renamed out of
// the way before they are deleted, and nothing writes into them after,
// so a removal never meets "directory not empty". Where flock(2) is not
// available (lock_other.go) Get still returns right bytes or a miss, but
// concurrent writers may remove each other's fresh entries.
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
