package elfdeps

import (
	"fmt"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// This file models the two dynamic loaders the images use, glibc's ld.so
// and musl's ldso, so that Resolve (on the host) and Verify (on an image's
// files) search the same directories in the same order.

// object is an ELF file the loader has mapped.
type object struct {
	info   *Info
	host   string  // the file as found on the host; $ORIGIN of its entries on the host
	image  string  // the file's path inside the image; $ORIGIN of its entries there
	loader *object // the object whose DT_NEEDED brought it in; nil for the program
}

// searchDir is one directory the loader tries for a DT_NEEDED name.
type searchDir struct {
	root  string // sysroot the directory is inside, "" for a host path
	host  string // the directory on the host (includes root)
	image string // the directory inside the image; "" when the library goes to /lib
}

// searchOrder lists the directories the loader tries for a DT_NEEDED of o.
//
// glibc (elf/dl-load.c, _dl_map_object): when o has no DT_RUNPATH, the
// DT_RPATH of o and of every object up its loader chain; then o's
// DT_RUNPATH; then the system directories. An object that has DT_RUNPATH
// has its DT_RPATH ignored (elf/get-dynamic-info.h).
//
// musl (ldso/dynlink.c, load_library): the path of o and of every object up
// its loader chain, where an object's path is DT_RUNPATH if present, else
// DT_RPATH; then the system directories.
//
// expand turns one entry into a directory, reporting false for entries that
// cannot be placed (relative to the working directory, or using $LIB or
// $PLATFORM).
func searchOrder(o *object, musl bool, defaults []searchDir, expand func(entry string, carrier *object) (searchDir, bool)) []searchDir {
	var dirs []searchDir
	add := func(carrier *object, entries []string) {
		for _, e := range entries {
			if d, ok := expand(e, carrier); ok {
				dirs = append(dirs, d)
			}
		}
	}
	switch {
	case musl:
		for l := o; l != nil; l = l.loader {
			if len(l.info.RunPath) > 0 {
				add(l, l.info.RunPath)
			} else {
				add(l, l.info.RPath)
			}
		}
	case len(o.info.RunPath) == 0:
		for l := o; l != nil; l = l.loader {
			if len(l.info.RunPath) == 0 {
				add(l, l.info.RPath)
			}
		}
	default:
		add(o, o.info.RunPath)
	}
	dirs = append(dirs, defaults...)
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if !seen[d.host] {
			seen[d.host] = true
			out = append(out, d)
		}
	}
	return out
}

// expandOrigin replaces $ORIGIN and ${ORIGIN} in entry with origin and
// cleans the result. It reports false when the result is not an absolute
// path or still holds a dynamic string token ($LIB, $PLATFORM).
func expandOrigin(entry, origin string) (string, bool) {
	r := strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin)
	if strings.Contains(strings.NewReplacer("${ORIGIN}", "", "$ORIGIN", "").Replace(entry), "$") {
		return "", false
	}
	e := r.Replace(entry)
	if !path.IsAbs(e) {
		return "", false
	}
	return path.Clean(e), true
}

func hasOrigin(entry string) bool {
	return strings.Contains(entry, "$ORIGIN") || strings.Contains(entry, "${ORIGIN}")
}

// isMusl reports whether interp is musl's loader, which is also its libc.
func isMusl(interp string) bool { return strings.HasPrefix(path.Base(interp), "ld-musl-") }

// providedByInterp reports whether the loader satisfies the DT_NEEDED name
// itself, without opening a file:
//   - glibc: the name is the interpreter's basename or DT_SONAME (libc.so.6
//     needs ld-linux-x86-64.so.2; zig lists ld-linux-*.so.* in DT_NEEDED);
//   - musl: also lib{c,pthread,rt,m,dl,util,xnet}.* (the "reserved" names of
//     load_library), which musl's single libc provides.
func providedByInterp(name, interp, interpSOName string) bool {
	if interp == "" {
		return false
	}
	if name == path.Base(interp) || (interpSOName != "" && name == interpSOName) {
		return true
	}
	if !isMusl(interp) {
		return false
	}
	for _, r := range []string{"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."} {
		if strings.HasPrefix(name, "lib"+r) {
			return true
		}
	}
	return false
}

// systemDirs are the directories the loader searches when no ld.so.cache
// or ld-musl-*.path exists, which is the case in a scratch image. Observed
// with `ld.so --help` and chroot runs (see the package documentation).
func systemDirs(f recipe.PlatformFacts, musl bool) []string {
	if musl {
		return []string{"/lib", "/usr/local/lib", "/usr/lib"}
	}
	if f.Multiarch == "" {
		return []string{"/lib", "/usr/lib"}
	}
	return []string{"/lib/" + f.Multiarch, "/usr/lib/" + f.Multiarch, "/lib", "/usr/lib"}
}

// MissingError reports a file that the loader needs and cannot find.
type MissingError struct {
	NeededBy string   // the ELF that needs it
	Role     string   // "interpreter" or "library"
	Name     string   // the PT_INTERP path or the DT_NEEDED name
	Place    string   // where it was looked for: "the image", "any searched directory"
	Searched []string // directories searched, in order
	Skipped  []string // candidates rejected, each with the reason
}

func (e *MissingError) Error() string {
	msg := fmt.Sprintf("%s needs %s %s, which is not in %s", e.NeededBy, e.Role, e.Name, e.Place)
	var notes []string
	if len(e.Searched) > 0 {
		notes = append(notes, "searched "+strings.Join(e.Searched, ", "))
	}
	if len(e.Skipped) > 0 {
		notes = append(notes, "skipped "+strings.Join(e.Skipped, ", "))
	}
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return msg
}

// mismatch describes why a candidate cannot be loaded by a program of
// platform f (machine, class, byte order, ABI flags), or returns "".
func mismatch(info *Info, f recipe.PlatformFacts) string {
	return f.ELFMismatch(info.Machine, info.Class, info.ByteOrder, info.Flags)
}

// platformOf is the row of the platform whose programs have bin's header;
// for an ELF of no known platform, a row holding only its machine, class
// and byte order, which then must match exactly.
func platformOf(bin *Info) recipe.PlatformFacts {
	if f, ok := recipe.PlatformOfELF(bin.Machine, bin.Class, bin.ByteOrder, bin.Flags); ok {
		return f
	}
	return recipe.PlatformFacts{Platform: "an unknown platform", Machine: bin.Machine, Class: bin.Class, Data: bin.ByteOrder}
}
