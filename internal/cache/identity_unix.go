//go:build unix

package cache

import (
	"io/fs"
	"syscall"
)

// identity returns the device, inode and status-change time (ctime, in
// nanoseconds, where the system has it) of fi, or zeros if unknown. A
// file's ctime moves with every write and cannot be set back (unlike its
// mtime: touch -d, cp -p), so a memo record that matches it describes
// this version of the file.
func identity(fi fs.FileInfo) (dev, ino uint64, ctime int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return uint64(st.Dev), uint64(st.Ino), ctimeNS(st)
}
