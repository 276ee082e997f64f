//go:build !unix

package cache

import "io/fs"

// identity returns zeros where inodes are not available: the memo then
// relies on path, size and mtime alone.
func identity(fs.FileInfo) (dev, ino uint64, ctime int64) { return 0, 0, 0 }
