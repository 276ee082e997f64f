package debian

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// usrMerged are the top directories that merged /usr makes links into
// usr/: a package's ./bin/sh lands in usr/bin/sh, and bin -> usr/bin.
var usrMerged = []string{"bin", "lib", "lib32", "lib64", "libx32", "sbin"}

// alwaysLinked are the merged-/usr links every root has; the others only
// when some package has files there.
var alwaysLinked = []string{"bin", "lib", "lib64", "sbin"}

// alternativeLinks are the links the packages' postinst scripts make with
// update-alternatives (to the highest priority), written directly: link
// -> target relative to the link's directory. A link whose target the
// root lacks is left out. "*" in a target is the one version the root has
// (automake-1.16).
var alternativeLinks = [][2]string{
	{"usr/bin/aclocal", "aclocal-*"},       // automake
	{"usr/bin/automake", "automake-*"},     // automake
	{"usr/bin/awk", "mawk"},                // mawk
	{"usr/bin/nawk", "mawk"},               // mawk
	{"usr/bin/c++", "g++"},                 // g++
	{"usr/bin/c89", "c89-gcc"},             // gcc
	{"usr/bin/c99", "c99-gcc"},             // gcc
	{"usr/bin/cc", "gcc"},                  // gcc
	{"usr/lib/cpp", "../bin/cpp"},          // cpp: /lib/cpp
	{"usr/bin/yacc", "bison.yacc"},         // bison
	{"usr/bin/which", "which.debianutils"}, // debianutils
	{"usr/bin/pager", "more"},              // util-linux
	{"usr/sbin/rmt", "rmt-tar"},            // tar
	{"usr/bin/lzma", "xz"},                 // xz-utils
	{"usr/bin/unlzma", "unxz"},
	{"usr/bin/lzcat", "xzcat"},
	{"usr/bin/lzmore", "xzmore"},
	{"usr/bin/lzless", "xzless"},
	{"usr/bin/lzdiff", "xzdiff"},
	{"usr/bin/lzcmp", "xzcmp"},
	{"usr/bin/lzgrep", "xzgrep"},
	{"usr/bin/lzegrep", "xzegrep"},
	{"usr/bin/lzfgrep", "xzfgrep"},
}

// BuildUser is the unprivileged account of /etc/passwd and /etc/group
// besides base-passwd's: "build", uid and gid 1000, home /tmp.
const (
	BuildUser = "build"
	BuildUID  = 1000
)

// assembler unpacks packages into one root, remembering what it made.
type assembler struct {
	root   string
	dirs   map[string]bool        // directories made or checked (relative, "" is the root)
	dirMTs map[string]time.Time   // a directory's mtime, as the last package naming it says
	dirMds map[string]os.FileMode // and its mode
	newest time.Time              // the newest mtime in any package: the date of files written here
	from   map[string]string      // path -> package that wrote it, for messages
	// unmerged keeps the packages' paths (lib/... stays lib/...): one
	// package unpacked alone, not a root.
	unmerged bool
}

func newAssembler(root string) *assembler {
	return &assembler{root: root, dirs: map[string]bool{"": true}, dirMTs: map[string]time.Time{},
		dirMds: map[string]os.FileMode{}, from: map[string]string{}}
}

// Assemble makes a build root in dir (which must not exist) from the
// .deb files, unpacked in the order given, then writes what the
// maintainer scripts would have written that builds need (Configure). It
// runs no program and needs no root: owners are not kept, setuid and
// setgid bits are dropped. Files keep the packages' modes and mtimes;
// directories and written files get fixed ones, so the same .debs give
// the same tree.
func Assemble(dir string, debs []string) error {
	names := make([]string, len(debs))
	for i, deb := range debs {
		names[i] = filepath.Base(deb)
	}
	_, err := assemble(dir, debs, names)
	return err
}

// assemble is Assemble with each .deb's package name (names[i] is the
// package of debs[i]), and returns what each non-directory entry of the
// tree came from: path ("usr/bin/gcc-12") -> package name. Entries the
// configuration wrote (the accounts, the alternatives, the merged-/usr
// links) are not in it: no package installed them.
func assemble(dir string, debs, names []string) (map[string]string, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("assembling the build root: %w", err)
	}
	a := newAssembler(dir)
	next, stop := decodeAhead(debs, runtime.GOMAXPROCS(0))
	defer stop()
	for i := range debs {
		data, err := next()
		if err != nil {
			return nil, fmt.Errorf("assembling the build root: %w", err)
		}
		if err := a.unpack(names[i], tar.NewReader(bytes.NewReader(data))); err != nil {
			return nil, fmt.Errorf("assembling the build root: %w", err)
		}
	}
	if err := a.configure(); err != nil {
		return nil, fmt.Errorf("assembling the build root: %w", err)
	}
	if err := a.finishDirs(); err != nil {
		return nil, fmt.Errorf("assembling the build root: %w", err)
	}
	owners := make(map[string]string, len(a.from))
	for p, pkg := range a.from {
		if !strings.HasPrefix(pkg, "(") { // "(configuration)", "(alternatives)", "(merged /usr)"
			owners[p] = pkg
		}
	}
	return owners, nil
}

// decodeAhead decompresses the data.tar of each .deb, up to n at once
// ahead of the caller (decompressing xz is most of the assembly's time),
// and hands them out in order: next returns the following one. stop ends
// the work left.
func decodeAhead(debs []string, n int) (next func() ([]byte, error), stop func()) {
	type result struct {
		data []byte
		err  error
	}
	results := make([]chan result, len(debs))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	slots, done := make(chan struct{}, n), make(chan struct{})
	go func() {
		for i, deb := range debs {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			go func() {
				data, err := readData(deb)
				results[i] <- result{data, err}
			}()
		}
	}()
	i := 0
	next = func() ([]byte, error) {
		r := <-results[i]
		i++
		<-slots
		return r.data, r.err
	}
	var once sync.Once
	return next, func() { once.Do(func() { close(done) }) }
}

// unpack writes the files of one package's data.tar.
func (a *assembler) unpack(pkg string, tr *tar.Reader) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", pkg, err)
		}
		if err := a.entry(pkg, h, tr); err != nil {
			return fmt.Errorf("%s: %s: %w", pkg, h.Name, err)
		}
	}
}

// entry writes one member of a data.tar.
func (a *assembler) entry(pkg string, h *tar.Header, r io.Reader) error {
	orig, err := cleanMember(h.Name)
	if err != nil {
		return err
	}
	name := a.place(orig)
	if h.ModTime.After(a.newest) {
		a.newest = h.ModTime
	}
	if name == "" { // "./"
		return nil
	}
	mode := os.FileMode(h.Mode).Perm() // setuid and setgid dropped
	if h.Mode&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := a.mkdirs(name); err != nil {
			return err
		}
		a.dirMTs[name], a.dirMds[name] = h.ModTime, mode
		return nil
	case tar.TypeReg:
		return a.write(pkg, name, mode, h.ModTime, r)
	case tar.TypeSymlink:
		return a.symlink(pkg, name, fixLink(orig, name, h.Linkname), h.ModTime)
	case tar.TypeLink:
		target, err := cleanMember(h.Linkname)
		if err != nil {
			return fmt.Errorf("hard link target: %w", err)
		}
		return a.link(pkg, name, a.place(target))
	}
	return nil // devices and fifos: no package of a build root has them
}

// cleanMember is a member's name relative to the root ("usr/bin/gcc"),
// "" for the root itself; a name that leaves the root is an error.
func cleanMember(name string) (string, error) {
	p := path.Clean("/" + strings.TrimPrefix(name, "./"))
	if strings.Contains("/"+name+"/", "/../") {
		return "", fmt.Errorf("the name leaves the root")
	}
	return strings.TrimPrefix(p, "/"), nil
}

// mergeUsr maps a path under a merged top directory into usr/.
func mergeUsr(rel string) string {
	top, _, _ := strings.Cut(rel, "/")
	if slices.Contains(usrMerged, top) {
		return "usr/" + rel
	}
	return rel
}

// place is where a member named rel goes in the tree: into usr/ where
// /usr is merged, as it is for a package unpacked alone.
func (a *assembler) place(rel string) string {
	if a.unmerged {
		return rel
	}
	return mergeUsr(rel)
}

// fixLink is the target of a symlink moved from orig to name by merged
// /usr: a relative target that would now point elsewhere is made relative
// from the new place.
func fixLink(orig, name, target string) string {
	if path.IsAbs(target) || orig == name {
		return target
	}
	want := mergeUsr(strings.TrimPrefix(path.Join("/", path.Dir(orig), target), "/"))
	if mergeUsr(strings.TrimPrefix(path.Join("/", path.Dir(name), target), "/")) == want {
		return target
	}
	rel, err := filepath.Rel(path.Dir(name), want)
	if err != nil {
		return target
	}
	return filepath.ToSlash(rel)
}

// mkdirs makes rel and its parents as real directories: a parent that is
// anything else (a symlink above all, which could lead out of the root)
// is an error.
func (a *assembler) mkdirs(rel string) error {
	if a.dirs[rel] {
		return nil
	}
	if err := a.mkdirs(parent(rel)); err != nil {
		return err
	}
	p := filepath.Join(a.root, rel)
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("/%s is a %s of %s, not a directory", rel, fi.Mode().Type(), a.from[rel])
	}
	a.dirs[rel] = true
	return nil
}

func parent(rel string) string {
	if d := path.Dir(rel); d != "." {
		return d
	}
	return ""
}

// replace makes room for a file at rel: its directory exists, and
// whatever non-directory was there (an earlier package's file: the
// later package wins, as with dpkg's Replaces) is gone.
func (a *assembler) replace(pkg, rel string) (string, error) {
	if a.dirs[rel] {
		return "", fmt.Errorf("/%s is a directory", rel)
	}
	if err := a.mkdirs(parent(rel)); err != nil {
		return "", err
	}
	p := filepath.Join(a.root, rel)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	a.from[rel] = pkg
	return p, nil
}

func (a *assembler) write(pkg, rel string, mode os.FileMode, mtime time.Time, r io.Reader) error {
	p, err := a.replace(pkg, rel)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(p, mode); err != nil {
		return err
	}
	return os.Chtimes(p, mtime, mtime)
}

func (a *assembler) symlink(pkg, rel, target string, mtime time.Time) error {
	p, err := a.replace(pkg, rel)
	if err != nil {
		return err
	}
	if err := os.Symlink(target, p); err != nil {
		return err
	}
	return lchtimes(p, mtime)
}

// link makes rel a hard link of target, a file unpacked before.
func (a *assembler) link(pkg, rel, target string) error {
	if fi, err := os.Lstat(filepath.Join(a.root, target)); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("hard link to /%s, which is not a file unpacked before", target)
	}
	p, err := a.replace(pkg, rel)
	if err != nil {
		return err
	}
	return os.Link(filepath.Join(a.root, target), p)
}

// lchtimes sets the mtime (and atime) of p itself, a symlink included.
func lchtimes(p string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lutimes", Path: p, Err: err}
	}
	return nil
}

// finishDirs gives every directory its mode and mtime, deepest first (so
// that setting a child's mtime does not change its parent's): the last
// package's word, or 0755 and the newest package date for directories no
// package names.
func (a *assembler) finishDirs() error {
	dirs := make([]string, 0, len(a.dirs))
	for d := range a.dirs {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i] > dirs[j] }) // children sort after parents
	for _, d := range dirs {
		mode, ok := a.dirMds[d]
		if !ok {
			mode = 0o755
		}
		mt, ok := a.dirMTs[d]
		if !ok {
			mt = a.newest
		}
		p := filepath.Join(a.root, d)
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			return err
		}
	}
	return nil
}
