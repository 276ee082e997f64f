package uptodate

import (
	"io/fs"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// identify returns the identity of path: followed when it is a symlink
// (a recipe's symlinked input counts as the file it points to), the
// folder itself otherwise.
func identify(path string) (File, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return File{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return fileOf(path, &st), nil
}

func fileOf(path string, st *unix.Stat_t) File {
	return File{Path: path, Mode: st.Mode, Size: st.Size, MtimeNS: st.Mtim.Nano(), CtimeNS: st.Ctim.Nano(),
		Dev: uint64(st.Dev), Ino: st.Ino}
}

// checkAll reports whether every file of files still has its identity,
// stopping early when stop is set (another part found a change). Each
// file is looked at relative to its folder, opened once for the run of
// files in it (a walk lists a folder's files together), so the kernel
// does not resolve the whole path again for each.
func checkAll(files []File, stop *atomic.Bool) bool {
	dirFD, dirName := -1, ""
	defer func() {
		if dirFD >= 0 {
			unix.Close(dirFD)
		}
	}()
	var st unix.Stat_t
	for i, f := range files {
		if stop != nil && i%64 == 0 && stop.Load() {
			return false
		}
		dir, name := filepath.Split(f.Path)
		if dir != dirName {
			if dirFD >= 0 {
				unix.Close(dirFD)
			}
			fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return false
			}
			dirFD, dirName = fd, dir
		}
		if unix.Fstatat(dirFD, name, &st, 0) != nil || fileOf(f.Path, &st) != f {
			return false
		}
	}
	return true
}
