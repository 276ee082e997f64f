package debian

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// RootLockFileName is the build root's lock file in toolchains/.
const RootLockFileName = "buildroot.lock.json"

// RootArch is the Debian architecture of the build root: the machine
// builds run on.
const RootArch = "amd64"

// rootFormat is the version of the assembly rules (Assemble): it is part
// of the lock's digest, so a change of the rules names another cached root.
const rootFormat = 1

// RootBase are the packages every build root has besides the toolchains'
// and build systems': what shells, configure scripts and Makefiles run
// (Essential packages are not assumed: the private apt counts nothing as
// installed). libtool-bin is left out: recipes run libtoolize (libtool),
// which writes each package its own libtool script.
var RootBase = []string{
	"base-files", "base-passwd", "bash", "bzip2", "coreutils", "dash", "debianutils",
	"diffutils", "file", "findutils", "grep", "gzip", "hostname", "libc-bin", "m4",
	"mawk", "ncurses-base", "ncurses-bin", "perl", "perl-base", "sed", "tar",
	"util-linux", "xz-utils",
}

// Package is one Debian binary package file, exactly: what the build
// root's lock pins. Where it is fetched from follows from Filename (see
// Mirror.URL), so the lock holds no host's mirror.
type Package struct {
	Name         string `json:"name"`         // "gcc-12"
	Version      string `json:"version"`      // "12.2.0-14+deb12u1"
	Architecture string `json:"architecture"` // "amd64" or "all"
	Source       string `json:"source"`       // source package, "gcc-12"
	Filename     string `json:"filename"`     // pool path in the archive
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
}

// String is "gcc-12:amd64 12.2.0-14+deb12u1".
func (p Package) String() string { return p.Name + ":" + p.Architecture + " " + p.Version }

// Security reports whether the file is in the security archive, whose
// pool is pool/updates/.
func (p Package) Security() bool { return strings.HasPrefix(p.Filename, "pool/updates/") }

// URL is where m serves p: its security archive for security updates, its
// main archive otherwise.
func (m Mirror) URL(p Package) string {
	base := m.Debian
	if p.Security() {
		base = m.Security
	}
	return strings.TrimSuffix(base, "/") + "/" + p.Filename
}

// DebianArchive is Debian's own archive: where a file the machine's mirror
// does not have is fetched from.
var DebianArchive = Mirror{Debian: "http://deb.debian.org/debian", Security: "http://deb.debian.org/debian-security"}

// RootLock pins every package of the build root: the requested packages
// and their whole dependency closure, for RootArch. Its Digest names the
// assembled root in the cache and is the toolchain identity of builds.
type RootLock struct {
	Schema    int       `json:"schema"`
	Note      string    `json:"note"`
	Suite     string    `json:"suite"`     // "bookworm"
	Arch      string    `json:"arch"`      // RootArch
	Requested []string  `json:"requested"` // sorted
	Digest    string    `json:"digest"`    // ComputeDigest at writing; checked at reading
	Packages  []Package `json:"packages"`  // sorted by name

	file string
}

// ComputeDigest is the sha256 of the lock's canonical content: the
// assembly rules' version, the suite, the architecture and each package's
// name, version, architecture, size and sha256 in name order. The
// requested list and the note do not count: the same packages give the
// same root.
func (l *RootLock) ComputeDigest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fromscratch build root %d\nsuite %s\narch %s\n", rootFormat, l.Suite, l.Arch)
	pkgs := slices.Clone(l.Packages)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	for _, p := range pkgs {
		fmt.Fprintf(&b, "%s %s %s %s %d %s\n", p.Name, p.Version, p.Architecture, p.Filename, p.Size, p.SHA256)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Find returns the pinned package name (toolchain.Root's Version reads
// its version).
func (l *RootLock) Find(name string) (Package, bool) {
	i, ok := sort.Find(len(l.Packages), func(i int) int { return strings.Compare(name, l.Packages[i].Name) })
	if !ok {
		return Package{}, false
	}
	return l.Packages[i], true
}

func (l *RootLock) name() string {
	if l.file == "" {
		return "toolchains/" + RootLockFileName
	}
	return l.file
}

// Validate checks every field; each problem names the file and the field
// ("toolchains/buildroot.lock.json: packages[3].sha256: ...").
func (l *RootLock) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", l.name(), field, fmt.Sprintf(format, a...)))
	}
	checkHead(bad, l.Schema, l.Suite)
	if l.Arch != RootArch {
		bad("arch", "%q is not %s, the architecture builds run on", l.Arch, RootArch)
	}
	if len(l.Packages) == 0 {
		bad("packages", "missing")
	}
	for i, p := range l.Packages {
		f := fmt.Sprintf("packages[%d]", i)
		for _, e := range p.problems() {
			bad(f+"."+e.field, "%s", e.problem)
		}
		if p.Architecture != l.Arch && p.Architecture != "all" {
			bad(f+".architecture", "%q is neither %s nor all", p.Architecture, l.Arch)
		}
		if i > 0 && l.Packages[i-1].Name >= p.Name {
			bad(f+".name", "%q is out of order or pinned twice: packages are sorted by name", p.Name)
		}
	}
	if want := l.ComputeDigest(); l.Digest != want {
		bad("digest", "%q is not the digest of the packages (%s): the file was edited by hand; refresh it with %s", l.Digest, want, RefreshTarget())
	}
	return errors.Join(errs...)
}

// ReadRootLock reads and validates the build root's lock file.
func ReadRootLock(path string) (*RootLock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the build root lock: %w (create it with %s)", err, RefreshTarget())
	}
	var l RootLock
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(path), err)
	}
	l.file = displayName(path)
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// WriteRootLock sets l's digest, validates l and replaces path with it:
// indented JSON, a function of the pins only.
func WriteRootLock(path string, l *RootLock) error {
	l.file = displayName(path)
	l.Digest = l.ComputeDigest()
	if err := l.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the build root lock: %w", err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// ResolveRoot pins the build root: it updates apt (the private apt of
// RootArch, see NewApt) and asks it what installing pkgs without
// recommends would install, nothing counting as installed, then reads each
// package's file, size and sha256. An index apt cannot read is an error
// (the pins would silently miss the security updates), as is a package apt
// cannot install.
func ResolveRoot(ctx context.Context, run Run, apt *Apt, pkgs []string) (*RootLock, error) {
	if apt.Arch != RootArch {
		return nil, fmt.Errorf("resolving the build root: the apt is for %s, not %s", apt.Arch, RootArch)
	}
	if err := apt.Update(ctx, run); err != nil {
		return nil, fmt.Errorf("resolving the build root: %w", err)
	}
	req := slices.Clone(pkgs)
	slices.Sort(req)
	req = slices.Compact(req)
	args := append([]string{"-s", "install", "--no-install-recommends"}, req...)
	out, err := run(ctx, apt.command("apt-get", args...), apt.Dir, Env)
	if err != nil {
		return nil, fmt.Errorf("resolving the build root: apt-get -s install: %w: %s", err, aptErrors(out))
	}
	inst, err := parseSimulation(out)
	if err != nil {
		return nil, fmt.Errorf("resolving the build root: %w", err)
	}
	exact := make([]string, len(inst))
	for i, p := range inst {
		exact[i] = p.Name + ":" + p.Architecture + "=" + p.Version
	}
	out, err = run(ctx, apt.command("apt-cache", append([]string{"show", "--no-all-versions"}, exact...)...), apt.Dir, Env)
	if err != nil {
		return nil, fmt.Errorf("resolving the build root: apt-cache show: %w: %s", err, aptErrors(out))
	}
	l := &RootLock{Schema: LockSchema, Suite: apt.Suite, Arch: RootArch, Requested: req,
		Note: "the build root: every package builds run with, pinned by " + lockNote + "; do not edit"}
	if l.Packages, err = matchStanzas(inst, out); err != nil {
		return nil, fmt.Errorf("resolving the build root: %w", err)
	}
	l.Digest = l.ComputeDigest()
	return l, l.Validate()
}

// instLine is apt-get -s's "Inst gcc-12 (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])".
var instLine = regexp.MustCompile(`^Inst (\S+) (?:\[[^]]*\] )?\((\S+) .*\[([a-z0-9-]+)\]\)`)

// parseSimulation reads the packages apt-get -s install would unpack.
func parseSimulation(out []byte) ([]Package, error) {
	var pkgs []Package
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "Inst ") {
			continue
		}
		m := instLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("apt-get -s install: cannot read %q", line)
		}
		pkgs = append(pkgs, Package{Name: m[1], Version: m[2], Architecture: m[3]})
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("apt-get -s install would install nothing: %s", trimOutput(out))
	}
	return pkgs, nil
}

// matchStanzas fills each package of inst from apt-cache show's stanzas
// and returns them sorted by name.
func matchStanzas(inst []Package, out []byte) ([]Package, error) {
	ps, err := readControl(out)
	if err != nil {
		return nil, fmt.Errorf("reading apt-cache show's answer: %w", err)
	}
	byKey := map[string]paragraph{}
	for _, st := range ps {
		byKey[st.value("Package")+" "+st.value("Version")] = st
	}
	pkgs := make([]Package, 0, len(inst))
	for _, p := range inst {
		st, ok := byKey[p.Name+" "+p.Version]
		if !ok {
			return nil, fmt.Errorf("apt-cache show printed no stanza for %s", p)
		}
		size, _ := strconv.ParseInt(st.value("Size"), 10, 64)
		p.Source, _, _ = strings.Cut(st.value("Source"), " ") // "gcc-12 (12.2.0-14)" for binNMUs
		if p.Source == "" {
			p.Source = p.Name // Debian omits Source when it equals the package
		}
		p.Filename, p.Size, p.SHA256 = poolFilename(st.value("Filename")), size, st.value("SHA256")
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	return pkgs, nil
}
