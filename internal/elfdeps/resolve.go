package elfdeps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Options tell the resolver where the target's runtime libraries are.
type Options struct {
	// Sysroot is the root that absolute paths (the interpreter, absolute
	// DT_RUNPATH and DT_RPATH entries) are looked up under; "" or "/" is the
	// host root. Symbolic links inside it are resolved inside it.
	Sysroot string
	// LibDirs are directories (host paths) searched for DT_NEEDED after
	// DT_RPATH and DT_RUNPATH, in order. The symbolic links of those inside
	// Sysroot (and of InterpDirs inside it) are resolved inside it.
	LibDirs []string
	// InterpDirs are extra directories (host paths) where the interpreter's
	// basename is looked for when Sysroot+Interp does not exist.
	InterpDirs []string
	// ImagePath is where the binary goes in the image, "" for /<basename>.
	// Libraries found through $ORIGIN are placed relative to it.
	ImagePath string
	// Memo, when not nil, reads each ELF file once for all the closures
	// resolved with it (a run's cells share their libraries).
	Memo *Memo
}

// File is one file of the closure.
type File struct {
	ImagePath string // absolute path inside the image
	Source    string // real file on disk (symlinks followed)
	Size      int64
	Role      string // "interpreter" or "library"
}

// Closure is what a dynamic binary needs next to it in an image.
type Closure struct {
	Interp string // the binary's PT_INTERP, "" if static
	Files  []File // sorted by ImagePath; no duplicates
}

// Resolve computes the closure of the binary at binPath, which is placed at
// opts.ImagePath (default /<basename>) in the image. It does not execute
// anything.
//
// The interpreter goes to its PT_INTERP path. A library found through an
// entry with $ORIGIN keeps its place relative to the ELF carrying the
// entry; every other library goes to /lib/<DT_NEEDED name>.
func Resolve(binPath string, opts Options) (*Closure, error) {
	bin, err := opts.Memo.InspectFile(binPath)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(binPath)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", binPath, err)
	}
	r := &resolver{opts: opts, bin: bin, files: map[string]File{}}
	if opts.Sysroot != "" && filepath.Clean(opts.Sysroot) != "/" {
		r.root = filepath.Clean(opts.Sysroot)
	}
	for _, d := range opts.LibDirs {
		d = filepath.Clean(d)
		r.defaults = append(r.defaults, searchDir{root: r.within(d), host: d})
	}
	var interpSOName string
	var missing []error // every file not found, reported together
	if bin.Interp != "" {
		f, info, err := r.interpreter(real)
		var miss *MissingError
		switch {
		case errors.As(err, &miss):
			missing = append(missing, err)
		case err != nil:
			return nil, fmt.Errorf("resolving %s: %w", binPath, err)
		default:
			interpSOName = info.SOName
			r.files[f.ImagePath] = f
		}
	}
	musl := isMusl(bin.Interp)
	loaded := map[string]bool{}
	image := path.Clean("/" + opts.ImagePath)
	if opts.ImagePath == "" {
		image = "/" + filepath.Base(binPath)
	}
	queue := []*object{{info: bin, host: real, image: image}}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		for _, name := range o.info.Needed {
			if loaded[name] || providedByInterp(name, bin.Interp, interpSOName) {
				continue
			}
			loaded[name] = true
			lib, err := r.library(name, o, musl)
			if err != nil {
				missing = append(missing, err)
				continue
			}
			if lib.info.SOName != "" {
				loaded[lib.info.SOName] = true
			}
			f, err := r.file(lib.root, lib.host, lib.image, "library")
			if err == nil {
				err = r.add(f)
			}
			if err != nil {
				return nil, fmt.Errorf("resolving %s: %w", binPath, err)
			}
			queue = append(queue, lib.object)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("resolving %s: %w", binPath, errors.Join(missing...))
	}
	c := &Closure{Interp: bin.Interp}
	for _, f := range r.files {
		c.Files = append(c.Files, f)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].ImagePath < c.Files[j].ImagePath })
	return c, nil
}

type resolver struct {
	opts     Options
	root     string // cleaned Sysroot, "" for the host root
	bin      *Info
	defaults []searchDir
	files    map[string]File // by image path
}

// within is the sysroot when dir is inside it, so that the symbolic links
// of files found there resolve as they do when the sysroot is the file
// system's root (and the files keep the sysroot's path, even when the
// sysroot is reached through a link); else "", the host's root.
func (r *resolver) within(dir string) string {
	if r.root == "" {
		return ""
	}
	rel, err := filepath.Rel(r.root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return r.root
}

// found is a library located on the host.
type found struct {
	*object
	root string // sysroot the file is inside, "" for a host path
}

// interpreter finds the binary's PT_INTERP under the sysroot, then in
// InterpDirs by basename, skipping files of another machine or class.
func (r *resolver) interpreter(binReal string) (File, *Info, error) {
	interp := r.bin.Interp
	miss := &MissingError{NeededBy: binReal, Role: "interpreter", Name: interp, Place: "any searched directory"}
	if !path.IsAbs(interp) {
		miss.Place = "a place it can be looked up (it is a relative path)"
		return File{}, nil, miss
	}
	type cand struct{ root, host string }
	cands := []cand{{r.root, filepath.Join(r.root, interp)}}
	for _, d := range r.opts.InterpDirs {
		cands = append(cands, cand{r.within(d), filepath.Join(d, path.Base(interp))})
	}
	for _, c := range cands {
		miss.Searched = append(miss.Searched, filepath.Dir(c.host))
		info, why := r.candidate(c.root, c.host)
		if info == nil {
			if why != "" {
				miss.Skipped = append(miss.Skipped, why)
			}
			continue
		}
		f, err := r.file(c.root, c.host, interp, "interpreter")
		return f, info, err
	}
	return File{}, nil, miss
}

// library finds the DT_NEEDED name of o along the loader's search order.
func (r *resolver) library(name string, o *object, musl bool) (*found, error) {
	miss := &MissingError{NeededBy: o.host, Role: "library", Name: name, Place: "any searched directory"}
	dirs := searchOrder(o, musl, r.defaults, r.expand)
	if strings.Contains(name, "/") {
		// The loader opens such a name as a path, without searching.
		dirs = nil
		if d, ok := r.expand(path.Dir(name), o); ok {
			dirs = []searchDir{d}
			if !hasOrigin(name) {
				dirs[0].image = path.Dir(name)
			}
		}
		name = path.Base(name)
	}
	for _, d := range dirs {
		miss.Searched = append(miss.Searched, d.host)
		host := filepath.Join(d.host, name)
		info, why := r.candidate(d.root, host)
		if info == nil {
			if why != "" {
				miss.Skipped = append(miss.Skipped, why)
			}
			continue
		}
		image := path.Join(d.image, name)
		if d.image == "" {
			image = path.Join("/lib", name)
		}
		return &found{&object{info: info, host: host, image: image, loader: o}, d.root}, nil
	}
	return nil, miss
}

// candidate inspects a file the loader would try, host inside root (""
// for the host's root). It returns nil and "" when there is no such file,
// and nil and the reason when the loader would skip it.
func (r *resolver) candidate(root, host string) (*Info, string) {
	if root != "" {
		real, err := realPath(root, host)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ""
		}
		if err != nil {
			return nil, fmt.Sprintf("%s (%v)", host, err)
		}
		host = real
	}
	if _, err := os.Stat(host); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ""
		}
		return nil, fmt.Sprintf("%s (%v)", host, err)
	}
	info, err := r.opts.Memo.InspectFile(host)
	if err != nil {
		return nil, fmt.Sprintf("%s (%v)", host, err)
	}
	if why := mismatch(info, platformOf(r.bin)); why != "" {
		return nil, fmt.Sprintf("%s (%s)", host, why)
	}
	return info, ""
}

// expand places one DT_RUNPATH or DT_RPATH entry: $ORIGIN is the directory
// of the carrier, on the host and in the image; other absolute entries are
// under the sysroot and their libraries go to /lib in the image.
func (r *resolver) expand(entry string, carrier *object) (searchDir, bool) {
	if !hasOrigin(entry) {
		e, ok := expandOrigin(entry, "")
		if !ok {
			return searchDir{}, false
		}
		return searchDir{root: r.root, host: filepath.Join(r.root, e)}, true
	}
	host, ok := expandOrigin(entry, filepath.Dir(carrier.host))
	if !ok {
		return searchDir{}, false
	}
	image, _ := expandOrigin(entry, path.Dir(carrier.image))
	return searchDir{host: host, image: image}, true
}

// file describes the closure file at image whose host path is host, inside
// root ("" for the host root).
func (r *resolver) file(root, host, image, role string) (File, error) {
	src, err := realPath(root, host)
	if err != nil {
		return File{}, fmt.Errorf("following symlinks of %s: %w", host, err)
	}
	st, err := os.Stat(src)
	if err != nil {
		return File{}, fmt.Errorf("sizing %s: %w", src, err)
	}
	return File{ImagePath: image, Source: src, Size: st.Size(), Role: role}, nil
}

func (r *resolver) add(f File) error {
	if old, ok := r.files[f.ImagePath]; ok && old.Source != f.Source {
		return fmt.Errorf("placing %s: both %s and %s belong there", f.ImagePath, old.Source, f.Source)
	}
	r.files[f.ImagePath] = f
	return nil
}

// realPath follows the symbolic links of host, a path inside root, the way
// they resolve when root is the file system's root: an absolute target
// starts again at root and ".." does not climb out of it. An empty root is
// the host's root.
func realPath(root, host string) (string, error) {
	if root == "" {
		return filepath.EvalSymlinks(host)
	}
	rel, err := filepath.Rel(root, host)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%s is not inside %s", host, root)
	}
	todo := strings.Split(filepath.ToSlash(rel), "/")
	done := "/"
	for links := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("too many levels of symbolic links in %s", host)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			done = "/"
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return filepath.Join(root, done), nil
}
