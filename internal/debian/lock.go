package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// LockFileName is the lock file's name in toolchains/.
const LockFileName = "runtime.lock.json"

// LockSchema is the version of the lock file's format.
const LockSchema = 1

// LockFile pins the runtime packages of every platform, as apko's lock
// file does: a build uses exactly these files.
type LockFile struct {
	Schema int    `json:"schema"`
	Note   string `json:"note"`  // how the file is made
	Suite  string `json:"suite"` // "bookworm"
	// Platforms in the order of the request.
	Platforms []PlatformLock `json:"platforms"`

	file string // for error messages, e.g. toolchains/runtime.lock.json
}

// PlatformLock is one platform's runtime: the pinned packages of its
// Debian architecture, or the reason it has none.
type PlatformLock struct {
	Platform string `json:"platform"`       // "linux/arm64"
	Arch     string `json:"arch,omitempty"` // Debian architecture, "" when the suite has no port
	// RuntimeNote says where the runtime comes from when not from pinned
	// packages (riscv64: the cross packages), for the matrix and the SBOM.
	RuntimeNote string `json:"runtime_note,omitempty"`
	// UnreadableIndexes are the indexes apt could not read when the pins
	// were made (their suite was left out), so that a lock made without
	// the security suite says so.
	UnreadableIndexes []string `json:"unreadable_indexes,omitempty"`
	Packages          []Pin    `json:"packages,omitempty"` // sorted by name
}

// Pin is one package file, exactly.
type Pin struct {
	Name         string `json:"name"`         // "libc6"
	Version      string `json:"version"`      // "2.36-9+deb12u14"
	Architecture string `json:"architecture"` // "arm64"
	Source       string `json:"source"`       // source package, "glibc"
	Filename     string `json:"filename"`     // pool path, pool/main/g/glibc/libc6_2.36-9+deb12u14_arm64.deb
	URL          string `json:"url"`          // where it was found when pinned; fetching follows Filename (Mirror.URL)
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
}

// String is "libc6:arm64 2.36-9+deb12u14".
func (p Pin) String() string { return p.Name + ":" + p.Architecture + " " + p.Version }

// Want is what Lock pins for one platform.
type Want struct {
	Platform string   // "linux/arm64"
	Arch     string   // Debian architecture; "" pins nothing (Note says why)
	Packages []string // "libc6", "libgcc-s1", "libstdc++6"
	Note     string   // RuntimeNote
}

// Platform returns the lock of platform.
func (l *LockFile) Platform(platform string) (PlatformLock, bool) {
	for _, p := range l.Platforms {
		if p.Platform == platform {
			return p, true
		}
	}
	return PlatformLock{}, false
}

// Pins returns the pins of packages (all of the platform's when none are
// named) for platform; a package the lock does not pin is an error naming
// the refresh target.
func (l *LockFile) Pins(platform string, packages ...string) ([]Pin, error) {
	pl, ok := l.Platform(platform)
	if !ok || pl.Arch == "" {
		return nil, fmt.Errorf("%s pins no runtime packages for %s: run %s", l.name(), platform, RefreshTarget())
	}
	if len(packages) == 0 {
		return slices.Clone(pl.Packages), nil
	}
	var pins []Pin
	for _, name := range packages {
		i := slices.IndexFunc(pl.Packages, func(p Pin) bool { return p.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%s does not pin %s:%s for %s: run %s", l.name(), name, pl.Arch, platform, RefreshTarget())
		}
		pins = append(pins, pl.Packages[i])
	}
	return pins, nil
}

func (l *LockFile) name() string {
	if l.file == "" {
		return "toolchains/" + LockFileName
	}
	return l.file
}

// displayName is the lock file as messages name it: its directory and
// base name (toolchains/runtime.lock.json).
func displayName(path string) string {
	return filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path)))
}

// ReadLock reads and validates a lock file. Errors name the file and the
// field.
func ReadLock(path string) (*LockFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the runtime lock: %w (create it with %s)", err, RefreshTarget())
	}
	return ParseLock(data, displayName(path))
}

// ParseLock decodes and validates a lock file's contents; name is the file
// as error messages call it.
func ParseLock(data []byte, name string) (*LockFile, error) {
	var l LockFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	l.file = name
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

var (
	hex64    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	debName  = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debArch  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	debVer   = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$`)
	poolPath = regexp.MustCompile(`^pool/[A-Za-z0-9/_.+~%-]+\.deb$`)
)

// Validate checks every field; each problem is reported as
// "<file>: platforms[i].packages[j].<field>: <problem>".
func (l *LockFile) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", l.name(), field, fmt.Sprintf(format, a...)))
	}
	checkHead(bad, l.Schema, l.Suite)
	seen := map[string]bool{}
	for i, p := range l.Platforms {
		f := fmt.Sprintf("platforms[%d]", i)
		switch {
		case p.Platform == "":
			bad(f+".platform", "missing")
		case seen[p.Platform]:
			bad(f+".platform", "%q is listed twice", p.Platform)
		}
		seen[p.Platform] = true
		if p.Arch == "" {
			if p.RuntimeNote == "" {
				bad(f+".runtime_note", "missing: a platform without arch must say where its runtime comes from")
			}
			if len(p.Packages) > 0 {
				bad(f+".packages", "a platform without arch pins no packages")
			}
			continue
		}
		if !debArch.MatchString(p.Arch) {
			bad(f+".arch", "%q is not a Debian architecture", p.Arch)
		}
		if len(p.Packages) == 0 {
			bad(f+".packages", "missing: a platform with arch %s pins its runtime packages", p.Arch)
		}
		names := map[string]bool{}
		for j, pin := range p.Packages {
			pf := fmt.Sprintf("%s.packages[%d]", f, j)
			if names[pin.Name] {
				bad(pf+".name", "%q is pinned twice", pin.Name)
			}
			names[pin.Name] = true
			for _, e := range pin.problems() {
				bad(pf+"."+e.field, "%s", e.problem)
			}
			if pin.Architecture != "" && pin.Architecture != p.Arch && pin.Architecture != "all" {
				bad(pf+".architecture", "%q is neither the platform's %s nor all", pin.Architecture, p.Arch)
			}
		}
	}
	return errors.Join(errs...)
}

type fieldProblem struct{ field, problem string }

// problems lists what is wrong with p's fields.
func (p Package) problems() []fieldProblem {
	var out []fieldProblem
	add := func(field, format string, a ...any) {
		out = append(out, fieldProblem{field, fmt.Sprintf(format, a...)})
	}
	if !debName.MatchString(p.Name) {
		add("name", "%q is not a Debian package name", p.Name)
	}
	if !debVer.MatchString(p.Version) {
		add("version", "%q is not a Debian version", p.Version)
	}
	if !debArch.MatchString(p.Architecture) {
		add("architecture", "%q is not a Debian architecture", p.Architecture)
	}
	if !debName.MatchString(p.Source) {
		add("source", "%q is not a Debian source package name", p.Source)
	}
	if !poolPath.MatchString(p.Filename) {
		add("filename", "%q is not a pool path ending in .deb", p.Filename)
	}
	if p.Size <= 0 {
		add("size", "%d is not a file size", p.Size)
	}
	if !hex64.MatchString(p.SHA256) {
		add("sha256", "%q is not 64 lowercase hex digits", p.SHA256)
	}
	return out
}

// Package is p without the URL it was found at: the file a Fetcher
// fetches.
func (p Pin) Package() Package {
	return Package{Name: p.Name, Version: p.Version, Architecture: p.Architecture, Source: p.Source,
		Filename: p.Filename, Size: p.Size, SHA256: p.SHA256}
}

func (p Pin) problems() []fieldProblem {
	out := p.Package().problems()
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		out = append(out, fieldProblem{"url", fmt.Sprintf("%q is not an http(s) URL", p.URL)})
	}
	return out
}

func (p Pin) validate() error {
	var errs []error
	for _, e := range p.problems() {
		errs = append(errs, fmt.Errorf("%s: %s: %s", p.Name, e.field, e.problem))
	}
	return errors.Join(errs...)
}

// Marshal is the lock file's bytes: indented JSON with a trailing
// newline, a function of the pins only (no dates), so an unchanged archive
// gives an unchanged file.
func (l *LockFile) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the runtime lock: %w", err)
	}
	return append(data, '\n'), nil
}

// WriteLock validates l and replaces path with it.
func WriteLock(path string, l *LockFile) error {
	l.file = displayName(path)
	if err := l.Validate(); err != nil {
		return err
	}
	data, err := l.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// Lock pins the current candidates of the wanted packages: per
// architecture it updates a private apt (NewApt under cacheDir) from the
// mirror in sources (the machine's apt sources, see ParseSources), asks
// it for each package's version, file, size and sha256, and downloads every
// file into the cache (a Fetcher: the mirror, then Debian's archive), so that the pins are checked and the next
// build needs no network. Indexes apt cannot read are recorded in the
// platform's UnreadableIndexes rather than hidden; a package apt does not
// know is an error.
func Lock(ctx context.Context, run Run, cacheDir string, sources []byte, suite string, wants []Want) (*LockFile, error) {
	mirror, err := ParseSources(sources, suite)
	if err != nil {
		return nil, err
	}
	fetch := &Fetcher{CacheDir: cacheDir, Mirror: mirror, Lock: "toolchains/" + LockFileName}
	l := &LockFile{Schema: LockSchema, Suite: suite,
		Note: "runtime libraries of dynamic images, pinned by " + lockNote + "; do not edit"}
	type arch struct {
		pins       map[string]Pin
		unreadable []string
	}
	arches := map[string]*arch{}
	for _, w := range wants {
		pl := PlatformLock{Platform: w.Platform, Arch: w.Arch, RuntimeNote: w.Note}
		if w.Arch != "" {
			a := arches[w.Arch]
			if a == nil {
				a = &arch{pins: map[string]Pin{}}
				apt := NewApt(cacheDir, w.Arch, suite, mirror)
				if err := apt.Update(ctx, run); err != nil {
					var ie *IndexError
					if !errors.As(err, &ie) || len(ie.Failed) == 0 {
						return nil, err
					}
					a.unreadable = ie.Failed
				}
				arches[w.Arch] = a
			}
			for _, name := range w.Packages {
				pin, ok := a.pins[name]
				if !ok {
					apt := NewApt(cacheDir, w.Arch, suite, mirror)
					if pin, err = apt.Candidate(ctx, run, name); err != nil {
						return nil, fmt.Errorf("pinning %s:%s for %s: %w", name, w.Arch, w.Platform, err)
					}
					if _, err := fetch.Fetch(ctx, pin.Package()); err != nil {
						return nil, fmt.Errorf("pinning %s: %w", pin, err)
					}
					a.pins[name] = pin
				}
				if !slices.ContainsFunc(pl.Packages, func(p Pin) bool { return p.Name == name }) {
					pl.Packages = append(pl.Packages, pin)
				}
			}
			sort.Slice(pl.Packages, func(i, j int) bool { return pl.Packages[i].Name < pl.Packages[j].Name })
			pl.UnreadableIndexes = a.unreadable
		}
		if i := slices.IndexFunc(l.Platforms, func(p PlatformLock) bool { return p.Platform == w.Platform }); i >= 0 {
			return nil, fmt.Errorf("pinning runtimes: platform %s is wanted twice (merge its packages)", w.Platform)
		}
		l.Platforms = append(l.Platforms, pl)
	}
	return l, l.Validate()
}

// trimOutput keeps error messages readable.
func trimOutput(out []byte) string {
	s := strings.TrimSpace(string(out))
	if len(s) > 2000 {
		s = s[:2000] + " …"
	}
	return s
}

// checkHead checks the fields both lock files start with: the schema and
// the suite.
func checkHead(bad func(field, format string, a ...any), schema int, suite string) {
	if schema != LockSchema {
		bad("schema", "%d is not %d: refresh it with %s", schema, LockSchema, RefreshTarget())
	}
	if suite == "" {
		bad("suite", "missing")
	}
}
