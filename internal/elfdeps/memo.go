package elfdeps

import (
	"os"
	"sync"
	"syscall"
	"time"
)

// Memo remembers what InspectFile read, by path and the file's identity
// (size, modification time, device and inode): a run that resolves many
// closures against the same libraries reads each library once. A file
// changed in place gets a new identity and is read again. It is safe for
// concurrent use; the zero Memo is empty, and a nil Memo remembers nothing.
type Memo struct {
	mu    sync.Mutex
	infos map[memoKey]*Info
}

type memoKey struct {
	path       string
	size       int64
	mtime      time.Time
	dev, inode uint64
}

// InspectFile is InspectFile of path, read once per identity of the file.
// The Info returned is shared: callers must not change it.
func (m *Memo) InspectFile(path string) (*Info, error) {
	if m == nil {
		return InspectFile(path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return InspectFile(path) // the error InspectFile gives
	}
	k := memoKey{path: path, size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.dev, k.inode = uint64(st.Dev), st.Ino
	}
	m.mu.Lock()
	info, ok := m.infos[k]
	m.mu.Unlock()
	if ok {
		return info, nil
	}
	info, err = InspectFile(path)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.infos == nil {
		m.infos = map[memoKey]*Info{}
	}
	m.infos[k] = info
	m.mu.Unlock()
	return info, nil
}
