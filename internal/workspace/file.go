package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// FileName is a project's file of defaults, beside recipes/.
const FileName = "fromscratch.toml"

// fileKeys are the keys a project file may have, for error messages.
const fileKeys = "platforms, toolchains, linkages, out"

// File is a project's fromscratch.toml: the defaults of its runs, which
// the environment (and the command line) override. Every field is
// optional; an empty one leaves the built-in default (everything, and
// out/ beside recipes/).
//
//	platforms = ["linux/amd64", "linux/arm64"]
//	toolchains = ["gcc"]
//	linkages = ["static"]
//	out = "build/images"
type File struct {
	Platforms  []recipe.Platform
	Toolchains []string
	Linkages   []recipe.Linkage
	// Out is the output directory, absolute (a relative out is taken
	// from the project's directory).
	Out string
}

// rawFile is the file as written.
type rawFile struct {
	Platforms  []string `toml:"platforms"`
	Toolchains []string `toml:"toolchains"`
	Linkages   []string `toml:"linkages"`
	Out        string   `toml:"out"`
}

// ReadFile reads the project file of the project at root; a project
// without one gets the zero File. Every mistake is reported at once,
// each naming the file, the key and what is allowed.
func ReadFile(root string) (File, error) {
	data, err := os.ReadFile(filepath.Join(root, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("reading %s: %w", FileName, err)
	}
	return ParseFile(data, root)
}

// ParseFile decodes and validates a project file's contents; a relative
// out is taken from root.
func ParseFile(data []byte, root string) (File, error) {
	var raw rawFile
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w (allowed keys: %s)", FileName, err, fileKeys)
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", FileName, key, fmt.Sprintf(format, a...)))
	}
	for _, k := range md.Undecoded() {
		if c := recipe.Closest(k.String(), strings.Split(fileKeys, ", ")); c != "" {
			bad(k.String(), "unknown key (did you mean %s?)", c)
		} else {
			bad(k.String(), "unknown key (allowed: %s)", fileKeys)
		}
	}
	var f File
	if len(raw.Platforms) == 1 && raw.Platforms[0] == recipe.AllPlatformsWord {
		f.Platforms = append(f.Platforms, recipe.Platforms...)
	} else {
		for i, s := range raw.Platforms {
			p, err := recipe.ParsePlatform(s)
			if err != nil {
				bad(fmt.Sprintf("platforms[%d]", i), "%v", err)
			}
			f.Platforms = append(f.Platforms, p)
		}
	}
	for i, s := range raw.Linkages {
		l, err := recipe.ParseLinkage(s)
		if err != nil {
			bad(fmt.Sprintf("linkages[%d]", i), "%v", err)
		}
		f.Linkages = append(f.Linkages, l)
	}
	for i, s := range raw.Toolchains {
		if s == "" || strings.ContainsAny(s, " ,/") {
			bad(fmt.Sprintf("toolchains[%d]", i), "%q is not a toolchain name (allowed: the name of a toolchain file, such as gcc or zig, or prebuilt)", s)
		}
	}
	for _, l := range []struct {
		key string
		n   int
	}{{"platforms", len(raw.Platforms)}, {"toolchains", len(raw.Toolchains)}, {"linkages", len(raw.Linkages)}} {
		if md.IsDefined(l.key) && l.n == 0 {
			bad(l.key, "an empty list selects nothing (leave the key out for all)")
		}
	}
	f.Toolchains = raw.Toolchains
	if raw.Out != "" {
		f.Out = raw.Out
		if !filepath.IsAbs(f.Out) {
			f.Out = filepath.Join(root, f.Out)
		}
	} else if md.IsDefined("out") {
		bad("out", "empty (allowed: a directory, relative to the project or absolute; leave the key out for out/)")
	}
	if len(errs) > 0 {
		return File{}, errors.Join(errs...)
	}
	return f, nil
}
