package debian

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// RootDir is where the cache keeps the build root of the lock whose digest
// is digest: <cacheDir>/buildroot/<digest>, holding root/ (the tree),
// manifest.json and contents.json (which package each file came from).
func RootDir(cacheDir, digest string) string {
	return filepath.Join(cacheDir, "buildroot", digest)
}

// manifestName is the file beside root/ that lists every entry of the
// tree: a root is published with it, and checked against it.
const manifestName = "manifest.json"

// manifestEntry is one path of an assembled root as the manifest records it.
type manifestEntry struct {
	Path  string      `json:"path"` // relative, "usr/bin/gcc"
	Mode  fs.FileMode `json:"mode"`
	Size  int64       `json:"size,omitempty"` // regular files
	MTime int64       `json:"mtime"`          // Unix nanoseconds
	Link  string      `json:"link,omitempty"` // symlink target
}

// EnsureRoot returns the assembled build root of lock (the root/
// directory of RootDir): the cached one when it matches its manifest,
// else a new one, assembled from the locked files (fetched by f into the
// cache when missing) into a temporary sibling that is renamed into
// place, so that the root is complete or absent. A damaged root (a file
// changed in size, mode or date, removed or added) is set aside and
// assembled again. Two processes may both assemble; the first to rename
// wins and the other uses its root.
func EnsureRoot(ctx context.Context, cacheDir string, lock *RootLock, f *Fetcher) (string, error) {
	digest := lock.ComputeDigest()
	dir := RootDir(cacheDir, digest)
	root := filepath.Join(dir, "root")
	err := CheckRoot(dir)
	if err == nil {
		return root, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("assembling the build root: %w", err)
	}
	if _, lerr := os.Lstat(dir); lerr == nil { // damaged, or never finished
		if perr := mayReplace(dir); perr != nil {
			return "", fmt.Errorf("%v; %w", err, perr)
		}
		if err := setAside(dir); err != nil {
			return "", err
		}
	}
	debs, err := f.FetchAll(ctx, lock.Packages)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+digest+".tmp-")
	if err != nil {
		return "", fmt.Errorf("assembling the build root: %w", err)
	}
	defer removeTree(tmp)
	names := make([]string, len(lock.Packages))
	for i, p := range lock.Packages {
		names[i] = p.Name
	}
	owners, err := assemble(filepath.Join(tmp, "root"), debs, names)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := writeManifest(tmp); err != nil {
		return "", err
	}
	if err := writeContents(tmp, digest, owners); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("assembling the build root: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if CheckRoot(dir) == nil {
			return root, nil // another process published it first
		}
		return "", fmt.Errorf("publishing the build root: %w", err)
	}
	return root, nil
}

// mayReplace says why this process cannot set the root in dir aside and
// assemble it again, nil when it can: it needs to write dir's parent and,
// unless dir is a link (a root shared from another cache), to own dir
// and its tree (a root assembled by this user, or the process is root).
// It is asked before anything is moved, so a root that is not ours is
// left whole, and the error says whose it is.
func mayReplace(dir string) error {
	uid := os.Geteuid()
	if uid == 0 {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := unix.Access(parent, unix.W_OK|unix.X_OK); err != nil {
		return &NotOwnedError{Dir: dir, UID: uid, Owner: owner(parent), Path: parent}
	}
	fi, err := os.Lstat(dir)
	if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
		return nil // gone meanwhile, or a link: only the link is moved
	}
	for _, p := range []string{dir, filepath.Join(dir, "root")} {
		if o := owner(p); o >= 0 && o != uid {
			return &NotOwnedError{Dir: dir, UID: uid, Owner: o, Path: p}
		}
	}
	return nil
}

// owner is the uid that owns p (not following a link), -1 when p cannot
// be looked at.
func owner(p string) int {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return -1
	}
	return int(st.Uid)
}

// NotOwnedError is a build root this process may not set aside: it is
// left as it is.
type NotOwnedError struct {
	Dir   string // RootDir
	UID   int    // this process's
	Owner int    // Path's owner
	Path  string // what this process may not change: Dir, its root/ or its parent
}

func (e *NotOwnedError) Error() string {
	whose := "another user"
	if e.Owner == 0 {
		whose = "root"
	}
	what := e.Path + " belongs to " + whose
	if e.Path == filepath.Dir(e.Dir) {
		what += " and is not writable by this user"
	}
	// No uid in the text: it becomes a cell's reason in the matrix.
	return fmt.Sprintf("this user cannot assemble it again there (%s); it is left as it is: "+
		"its owner's next build assembles it again, or use a cache of your own (FROMSCRATCH_CACHE) "+
		"where this user assembles the root itself", what)
}

// setAside renames a damaged root out of the way and removes it.
func setAside(dir string) error {
	trash, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".damaged-")
	if err != nil {
		return fmt.Errorf("setting the damaged build root aside: %w", err)
	}
	if err := os.Rename(dir, filepath.Join(trash, "old")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		removeTree(trash)
		return fmt.Errorf("setting the damaged build root aside: %w", err)
	}
	return removeTree(trash)
}

// removeTree removes dir even where a directory lost its write bit.
func removeTree(dir string) error {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// scanTree lists every entry under root, in lexical order, as the
// manifest records it. Each entry is looked at relative to its open
// directory (fstatat), not by its whole path: the check of a 22,000-entry
// root then costs a third of the kernel's time.
//
// A directory the caller may not read (EACCES: a user other than the
// root's owner, and a directory only its owner may enter, such as /root
// or /var/cache/ldconfig, mode 0700) is listed itself, but not what it
// holds: its path is in sealed. What such a directory holds is out of
// every build's reach too, since a build's sandbox runs as the caller.
func scanTree(root string) (entries []manifestEntry, sealed []string, err error) {
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", root)
	}
	s := &scan{root: root, entries: []manifestEntry{{Path: ".", Mode: fi.Mode(), MTime: fi.ModTime().UnixNano()}}}
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	if err := s.dir(fd, ""); err != nil {
		return nil, nil, err
	}
	return s.entries, s.sealed, nil
}

// scan is one walk of scanTree.
type scan struct {
	root    string
	entries []manifestEntry
	sealed  []string // directories whose entries could not be read
}

// dir appends the entries of the open directory fd (at rel under the
// root, "" for the root itself) and of its subdirectories, and closes fd.
func (s *scan) dir(fd int, rel string) error {
	d := os.NewFile(uintptr(fd), filepath.Join(s.root, rel))
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	slices.Sort(names)
	start, sealedStart := len(s.entries), len(s.sealed)
	for _, name := range names {
		p := path.Join(rel, name)
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if err == unix.EACCES && rel != "" { // readable but not searchable
				s.entries, s.sealed = s.entries[:start], append(s.sealed[:sealedStart], rel)
				return nil
			}
			return &fs.PathError{Op: "lstat", Path: filepath.Join(s.root, p), Err: err}
		}
		e := manifestEntry{Path: p, Mode: fileMode(st.Mode), MTime: st.Mtim.Sec*1e9 + st.Mtim.Nsec}
		switch {
		case e.Mode.IsRegular():
			e.Size = st.Size
		case e.Mode&fs.ModeSymlink != 0:
			if e.Link, err = readlinkat(fd, name); err != nil {
				return &fs.PathError{Op: "readlink", Path: filepath.Join(s.root, p), Err: err}
			}
		}
		s.entries = append(s.entries, e)
		if !e.Mode.IsDir() {
			continue
		}
		sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.EACCES {
			s.sealed = append(s.sealed, p)
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "open", Path: filepath.Join(s.root, p), Err: err}
		}
		if err := s.dir(sub, p); err != nil {
			return err
		}
	}
	return nil
}

// readlinkat is the target of the symlink name in the directory fd.
func readlinkat(fd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// fileMode is the fs.FileMode of a stat mode, as os.Lstat gives it.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	for _, b := range []struct {
		bit  uint32
		mode fs.FileMode
	}{{unix.S_ISUID, fs.ModeSetuid}, {unix.S_ISGID, fs.ModeSetgid}, {unix.S_ISVTX, fs.ModeSticky}} {
		if m&b.bit != 0 {
			mode |= b.mode
		}
	}
	return mode
}

// writeManifest lists dir/root into dir/manifest.json, one entry a line.
func writeManifest(dir string) error {
	entries, sealed, err := scanTree(filepath.Join(dir, "root"))
	if err != nil {
		return fmt.Errorf("listing the build root: %w", err)
	}
	if len(sealed) > 0 { // the assembler owns every directory it made
		return fmt.Errorf("listing the build root: /%s cannot be read", sealed[0])
	}
	f, err := os.Create(filepath.Join(dir, manifestName))
	if err != nil {
		return fmt.Errorf("writing the build root's manifest: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return fmt.Errorf("writing the build root's manifest: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing the build root's manifest: %w", err)
	}
	return f.Close()
}

// RootPublished says whether dir (RootDir) holds a published root: its
// manifest and contents exist (it is not checked against them).
func RootPublished(dir string) bool {
	for _, n := range []string{manifestName, contentsName} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// decodeManifest reads manifest.json's entries, one a line.
func decodeManifest(data []byte) ([]manifestEntry, error) {
	var want []manifestEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var e manifestEntry
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		want = append(want, e)
	}
	return want, nil
}

// CheckRoot compares the tree under dir/root with dir/manifest.json,
// cheaply (lstat: sizes, modes, mtimes, link targets; no contents), and
// checks that dir/contents.json is there (a root assembled before it
// existed is assembled again). An error wrapping fs.ErrNotExist means no
// root was published there; a *DamagedError names the first difference.
// Owners are not compared: a root assembled without root belongs to its
// user, and one shared by root is root's. What a directory the caller
// may not read holds is not compared either (see scanTree).
func CheckRoot(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, contentsName)); err != nil {
		return &DamagedError{Dir: dir, Problem: fmt.Sprintf("it has no %s: %v", contentsName, err)}
	}
	// The manifest is decoded while the tree is scanned: each is about
	// half of the check's time.
	var want []manifestEntry
	decoded := make(chan error, 1)
	go func() {
		var err error
		want, err = decodeManifest(data)
		decoded <- err
	}()
	got, sealed, err := scanTree(filepath.Join(dir, "root"))
	if derr := <-decoded; derr != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, manifestName), derr)
	}
	if err != nil {
		return &DamagedError{Dir: dir, Problem: err.Error()}
	}
	if problem := compareTree(want, got, sealed); problem != "" {
		return &DamagedError{Dir: dir, Problem: problem}
	}
	return nil
}

// compareTree is the first difference between the manifest's entries and
// the tree's, "" when there is none. The entries under a sealed directory
// are in want only, and are passed over.
func compareTree(want, got []manifestEntry, sealed []string) string {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j >= len(got):
			return fmt.Sprintf("/%s is missing", want[i].Path)
		case i >= len(want):
			return fmt.Sprintf("/%s was added", got[j].Path)
		case got[j] != want[i]:
			return fmt.Sprintf("/%s changed (%+v, the manifest says %+v)", got[j].Path, got[j], want[i])
		}
		i, j = i+1, j+1
		if len(sealed) > 0 && sealed[0] == got[j-1].Path {
			sealed = sealed[1:]
			for i < len(want) && strings.HasPrefix(want[i].Path, got[j-1].Path+"/") {
				i++
			}
		}
	}
	return ""
}

// DamagedError is a published build root that does not match its
// manifest.
type DamagedError struct {
	Dir     string // RootDir
	Problem string // the first difference
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the build root in %s is damaged: %s", e.Dir, e.Problem)
}
