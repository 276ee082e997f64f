package uptodate

import (
	"io/fs"
	"syscall"
)

// identify returns the identity of path: followed when it is a symlink
// (a recipe's symlinked input counts as the file it points to), the
// folder itself otherwise.
func identify(path string) (File, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return File{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return File{Path: path, Mode: st.Mode, Size: st.Size, MtimeNS: st.Mtim.Nano(), CtimeNS: st.Ctim.Nano(),
		Dev: uint64(st.Dev), Ino: st.Ino}, nil
}
