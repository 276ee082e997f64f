package elfdeps

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Verify checks that a set of files forming an image root is runnable.
// files maps image path to host source file. Every ELF file of the set must
// have the header of platform's programs (machine, class, byte order, ABI
// flags: recipe.PlatformFacts.ELFMismatch), its PT_INTERP must be in the set, and
// each of its DT_NEEDED must resolve inside the set the way the loader
// resolves it in a scratch image: the loader's own names, then DT_RPATH or
// DT_RUNPATH with $ORIGIN as the directory of the ELF's image path, then
// the system directories (see the package documentation; /lib64 is not one
// of them).
//
// The loader is emulated from each program (an ELF with PT_INTERP), so a
// library whose DT_SONAME answers a later DT_NEEDED counts as found, as it
// does at run time; an ELF that no program reaches is checked on its own.
// The error names the ELF and the missing file, for instance
// "/hello needs interpreter /lib64/ld-linux-x86-64.so.2, which is not in
// the image"; all problems are joined into one error.
func Verify(files map[string]string, platform recipe.PlatformFacts) error {
	v := &verifier{platform: platform, elves: map[string]*Info{}}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var problems []error
	for _, p := range paths {
		src := files[p]
		ok, err := isELF(src)
		if err != nil {
			return fmt.Errorf("reading %s (from %s): %w", p, src, err)
		}
		if !ok {
			continue
		}
		info, err := InspectFile(src)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		img := path.Clean("/" + p)
		v.elves[img] = info
		v.order = append(v.order, img)
		if why := mismatch(info, platform); why != "" {
			problems = append(problems, fmt.Errorf("%s is %s", img, why))
		}
	}
	var someInterp string
	for _, p := range v.order {
		if interp := v.elves[p].Interp; interp != "" {
			if someInterp == "" {
				someInterp = interp
			}
			if _, ok := v.elves[path.Clean(interp)]; !ok {
				problems = append(problems, &MissingError{NeededBy: p, Role: "interpreter", Name: interp, Place: "the image"})
			}
			problems = append(problems, v.walk(p, interp)...)
		}
	}
	for _, p := range v.order {
		if !v.reached[p] {
			problems = append(problems, v.walk(p, someInterp)...)
		}
	}
	seen := map[string]bool{}
	var out []error
	for _, e := range problems {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

type verifier struct {
	platform recipe.PlatformFacts
	elves    map[string]*Info // by image path
	order    []string         // image paths of elves, sorted
	reached  map[string]bool
}

// walk loads start and its dependencies as the loader named interp would,
// reporting every DT_NEEDED that does not resolve inside the set.
func (v *verifier) walk(start, interp string) []error {
	if v.reached == nil {
		v.reached = map[string]bool{}
	}
	v.reached[start] = true
	var interpSOName string
	if i, ok := v.elves[path.Clean(interp)]; ok && interp != "" {
		interpSOName = i.SOName
	}
	musl := isMusl(interp)
	var defaults []searchDir
	for _, d := range systemDirs(v.platform, musl) {
		defaults = append(defaults, searchDir{host: d, image: d})
	}
	var problems []error
	loaded := map[string]bool{}
	queue := []*object{{info: v.elves[start], image: start}}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		for _, name := range o.info.Needed {
			if loaded[name] || providedByInterp(name, interp, interpSOName) {
				continue
			}
			loaded[name] = true
			lib, miss := v.find(name, o, musl, defaults)
			if lib == nil {
				problems = append(problems, miss)
				continue
			}
			v.reached[lib.image] = true
			if lib.info.SOName != "" {
				loaded[lib.info.SOName] = true
			}
			queue = append(queue, lib)
		}
	}
	return problems
}

// find looks for the DT_NEEDED name of o in the set.
func (v *verifier) find(name string, o *object, musl bool, defaults []searchDir) (*object, error) {
	miss := &MissingError{NeededBy: o.image, Role: "library", Name: name, Place: "the image"}
	dirs := searchOrder(o, musl, defaults, expandImage)
	if strings.Contains(name, "/") {
		// The loader opens such a name as a path, without searching.
		dirs = nil
		if d, ok := expandImage(path.Dir(name), o); ok {
			dirs = []searchDir{d}
		}
		name = path.Base(name)
	}
	for _, d := range dirs {
		miss.Searched = append(miss.Searched, d.image)
		cand := path.Join(d.image, name)
		info, ok := v.elves[cand]
		if !ok {
			continue
		}
		if why := mismatch(info, v.platform); why != "" {
			miss.Skipped = append(miss.Skipped, fmt.Sprintf("%s (%s)", cand, why))
			continue
		}
		return &object{info: info, host: cand, image: cand, loader: o}, nil
	}
	return nil, miss
}

// expandImage places a DT_RUNPATH or DT_RPATH entry inside the image.
func expandImage(entry string, carrier *object) (searchDir, bool) {
	e, ok := expandOrigin(entry, path.Dir(carrier.image))
	return searchDir{host: e, image: e}, ok
}
