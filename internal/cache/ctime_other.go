//go:build unix && !linux

package cache

import "syscall"

// ctimeNS is 0 where the field's name differs (Ctimespec): the memo then
// relies on size, mtime, device and inode.
func ctimeNS(*syscall.Stat_t) int64 { return 0 }
