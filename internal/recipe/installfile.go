package recipe

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// InstallFile is one entry of install_files: a file of the recipe folder
// copied into the stage. It is written as the file's name alone
// ("ca-certificates.crt") or as a table that also says which Debian
// binary package the file was taken from, for the SBOM:
//
//	[install_files."etc/ssl/certs/ca-certificates.crt"]
//	file = "ca-certificates.crt"
//	debian = "ca-certificates"                # the binary package
//	version = "20250419~deb12u2"              # its exact version
//	copyright = "ca-certificates.copyright"   # its /usr/share/doc/<package>/copyright, vendored
//
// install_files are the same on every platform, so the package is one of
// Architecture: all (the SBOM's purl says arch=all).
type InstallFile struct {
	File string `json:"file"`
	// Debian names the Debian binary package the file comes from; ""
	// when the recipe does not say (the SBOM then lists the file alone).
	Debian  string `json:"debian,omitempty"`
	Version string `json:"version,omitempty"`
	// Copyright is that package's copyright file, vendored in the recipe
	// folder: the SBOM's licence of the package is read from it (Debian's
	// machine-readable format); without it the licence is NOASSERTION.
	Copyright string `json:"copyright,omitempty"`

	// problems are what UnmarshalTOML could not take (unknown keys,
	// values of the wrong type), reported by validation with the field.
	problems []string
}

// installFileKeys are the keys of an install_files table.
var installFileKeys = []string{"file", "debian", "version", "copyright"}

// UnmarshalTOML takes a string (the file) or a table of installFileKeys.
// It returns no error: what it cannot take is kept for validation, which
// names the recipe file and the field.
func (f *InstallFile) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		f.File = v
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s, ok := v[k].(string)
			var dst *string
			switch k {
			case "file":
				dst = &f.File
			case "debian":
				dst = &f.Debian
			case "version":
				dst = &f.Version
			case "copyright":
				dst = &f.Copyright
			default:
				f.problems = append(f.problems, fmt.Sprintf("unknown key %q%s (allowed: %s)", k, DidYouMean(k, installFileKeys), strings.Join(installFileKeys, ", ")))
				continue
			}
			if !ok {
				f.problems = append(f.problems, fmt.Sprintf("%s: %v is not a string", k, v[k]))
				continue
			}
			*dst = s
		}
	default:
		f.problems = append(f.problems, fmt.Sprintf("%v is neither a file name nor a table (allowed: \"file\", or { file = \"file\", debian = \"package\", version = \"version\", copyright = \"file\" })", v))
	}
	return nil
}

// InstallFileSources are the recipe folder's files that install_files
// read: the installed files and the copyright files, sorted.
func (r *Recipe) InstallFileSources() []string {
	var out []string
	for _, f := range r.InstallFiles {
		for _, p := range []string{f.File, f.Copyright} {
			if p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// validateInstallFiles checks install_files: each stage path, its file in
// the folder and, when it names a Debian package, the package, its version
// and copyright file, and that the file is in runtime_files (only the
// image's files are in its SBOM).
func (r *Recipe) validateInstallFiles(bad func(field, format string, a ...any)) {
	for _, dst := range slices.Sorted(maps.Keys(r.InstallFiles)) {
		f := fmt.Sprintf("install_files.%q", dst)
		e := r.InstallFiles[dst]
		for _, p := range e.problems {
			bad(f, "%s", p)
		}
		if why := stagePathProblem(dst); why != "" {
			bad(f, "%q %s", dst, why)
		}
		if e.File == "" && len(e.problems) == 0 {
			bad(f+".file", "missing: the file of recipes/%s to install as %s", r.Name, dst)
		} else if e.File != "" {
			if err := r.checkPath(e.File, false); err != nil {
				bad(f, "%v (allowed: a file inside recipes/%s)", err, r.Name)
			}
		}
		if e.Debian == "" {
			if e.Version != "" || e.Copyright != "" {
				bad(f, "version and copyright describe the Debian package the file comes from: name it with debian = \"<binary package>\"")
			}
			continue
		}
		if !debNameRE.MatchString(e.Debian) {
			bad(f+".debian", "%q is not a Debian package name (allowed: lower-case letters, digits, '+', '-', '.', e.g. \"ca-certificates\")", e.Debian)
		}
		if !debVersionRE.MatchString(e.Version) {
			bad(f+".version", "%q is not a Debian version (allowed: the exact version of package %s, e.g. \"20250419~deb12u2\")", e.Version, e.Debian)
		}
		if e.Copyright != "" {
			if err := r.checkPath(e.Copyright, false); err != nil {
				bad(f+".copyright", "%v (allowed: package %s's /usr/share/doc/%s/copyright, vendored inside recipes/%s)", err, e.Debian, e.Debian, r.Name)
			}
		}
		if !slices.Contains(r.RuntimeFiles, dst) {
			bad(f, "names the Debian package it comes from, for the image's SBOM, but %s is not in runtime_files, so it is not in the image: add it there", dst)
		}
	}
}
