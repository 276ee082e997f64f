package debian

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// DefaultKeyring is the keyring apt checks the archives' signatures with.
const DefaultKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// SourceArch is the Apt architecture of source packages: its sources list
// has deb-src lines.
const SourceArch = "source"

// Apt is a private apt for one architecture: its own sources list, package
// lists and cache under Dir, and nothing of the machine's configuration
// besides apt.conf (proxies) and the keyring.
type Apt struct {
	Dir     string // holds sources.list, lists/ and cache/
	Arch    string // Debian architecture ("arm64", "armhf"), or SourceArch
	Suite   string // "bookworm"; its -updates and -security suites come along
	Mirror  Mirror
	Keyring string // signed-by; "" is DefaultKeyring
}

// NewApt returns the private apt of arch under cacheDir
// (<cacheDir>/debian/apt/<arch>).
func NewApt(cacheDir, arch, suite string, m Mirror) *Apt {
	return &Apt{Dir: filepath.Join(cacheDir, "debian", "apt", arch), Arch: arch, Suite: suite, Mirror: m}
}

// SourcesList is the private sources list: the suite and its updates from
// the Debian mirror, its security suite from the security mirror, main only.
func (a *Apt) SourcesList() string {
	keyring := a.Keyring
	if keyring == "" {
		keyring = DefaultKeyring
	}
	typ, opts := "deb", fmt.Sprintf("[arch=%s signed-by=%s]", a.Arch, keyring)
	if a.Arch == SourceArch {
		typ, opts = "deb-src", fmt.Sprintf("[signed-by=%s]", keyring)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s main\n", typ, opts, a.Mirror.Debian, a.Suite)
	fmt.Fprintf(&b, "%s %s %s %s-updates main\n", typ, opts, a.Mirror.Debian, a.Suite)
	fmt.Fprintf(&b, "%s %s %s %s-security main\n", typ, opts, a.Mirror.Security, a.Suite)
	return b.String()
}

// Options are the -o options that keep apt to the private state: the
// sources list and lists under Dir, no sources.list.d, no preferences
// (pinning), no dpkg status (nothing counts as installed) and the
// architecture as the only one.
func (a *Apt) Options() []string {
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + filepath.Join(a.Dir, "sources.list"),
		"-o", "Dir::Etc::SourceParts=/dev/null",
		"-o", "Dir::Etc::Preferences=/dev/null",
		"-o", "Dir::Etc::PreferencesParts=/dev/null",
		"-o", "Dir::State::Lists=" + filepath.Join(a.Dir, "lists"),
		"-o", "Dir::State::status=/dev/null",
		"-o", "Dir::State::extended_states=/dev/null",
		"-o", "Dir::Cache=" + filepath.Join(a.Dir, "cache"),
	}
	if a.Arch != SourceArch {
		opts = append(opts, "-o", "APT::Architecture="+a.Arch, "-o", "APT::Architectures::="+a.Arch)
	}
	return opts
}

func (a *Apt) command(tool string, args ...string) []string {
	argv := append([]string{tool}, a.Options()...)
	return append(argv, args...)
}

// IndexError is an apt-get update that could not read some indexes: apt
// then leaves out every index of the suite concerned.
type IndexError struct {
	Arch   string
	Failed []string // "URL reason", one per index apt could not fetch
	Output string
}

func (e *IndexError) Error() string {
	if len(e.Failed) == 0 {
		return fmt.Sprintf("updating the package lists of %s: %s", e.Arch, strings.TrimSpace(e.Output))
	}
	return fmt.Sprintf("updating the package lists of %s: %s", e.Arch, strings.Join(e.Failed, "; "))
}

var (
	failedFetch = regexp.MustCompile(`(?m)^E: Failed to fetch (\S+)\s+(.*)$`)
	ipSuffix    = regexp.MustCompile(`\s*\[IP: [^]]*\]`) // the machine's view, not the archive's
)

// Update writes the private sources list and runs apt-get update. When
// some indexes cannot be read it returns an *IndexError naming them; the
// indexes that were read are usable.
func (a *Apt) Update(ctx context.Context, run Run) error {
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.Dir, d), 0o755); err != nil {
			return fmt.Errorf("creating the private apt state: %w", err)
		}
	}
	if err := atomicfile.Write(filepath.Join(a.Dir, "sources.list"), []byte(a.SourcesList()), 0o644); err != nil {
		return err
	}
	out, err := run(ctx, a.command("apt-get", "-q", "update"), a.Dir, Env)
	if err != nil {
		ie := &IndexError{Arch: a.Arch, Output: string(out)}
		for _, m := range failedFetch.FindAllStringSubmatch(string(out), -1) {
			ie.Failed = append(ie.Failed, m[1]+" "+strings.TrimSpace(ipSuffix.ReplaceAllString(m[2], "")))
		}
		return ie
	}
	return nil
}

// Candidate asks the private apt which version of name it would install
// for the architecture, and where that file is: the returned Pin has every
// field set. Update must have run.
func (a *Apt) Candidate(ctx context.Context, run Run, name string) (Pin, error) {
	q := name + ":" + a.Arch
	out, err := run(ctx, a.command("apt-cache", "show", "--no-all-versions", q), a.Dir, Env)
	if err != nil {
		return Pin{}, fmt.Errorf("apt-cache show %s: %w: %s", q, err, strings.TrimSpace(string(out)))
	}
	ps, err := readControl(out)
	if err != nil || len(ps) == 0 {
		return Pin{}, fmt.Errorf("apt-cache show %s: no package stanza in its answer (%v): %s", q, err, strings.TrimSpace(string(out)))
	}
	st := ps[0]
	size, _ := strconv.ParseInt(st.value("Size"), 10, 64)
	p := Pin{
		Name: st.value("Package"), Version: st.value("Version"), Architecture: st.value("Architecture"),
		Source: st.value("Source"), Filename: poolFilename(st.value("Filename")), Size: size, SHA256: st.value("SHA256"),
	}
	if p.Source == "" {
		p.Source = p.Name // Debian omits Source when it equals the package
	}
	p.Source, _, _ = strings.Cut(p.Source, " ") // "gcc-12 (12.2.0-14)" for binNMUs
	if p.Name != name {
		return Pin{}, fmt.Errorf("apt-cache show %s: answered for package %q", q, p.Name)
	}
	// The URL apt would download it from (the mirror of the suite that
	// has this version), with apt's own size and hash as a cross-check.
	exact := q + "=" + p.Version
	out, err = run(ctx, a.command("apt-get", "--print-uris", "download", exact), a.Dir, Env)
	if err != nil {
		return Pin{}, fmt.Errorf("apt-get --print-uris download %s: %w: %s", exact, err, strings.TrimSpace(string(out)))
	}
	uri, size2, sum, err := parsePrintURIs(string(out))
	if err != nil {
		return Pin{}, fmt.Errorf("apt-get --print-uris download %s: %w", exact, err)
	}
	if size2 != p.Size || sum != p.SHA256 {
		return Pin{}, fmt.Errorf("apt-get --print-uris download %s: size %d sha256 %s, but apt-cache show says size %d sha256 %s", exact, size2, sum, p.Size, p.SHA256)
	}
	p.URL = uri
	return p, p.validate()
}

// path is a pool path as apt-cache prints it.
func poolFilename(s string) string { return strings.TrimPrefix(s, "./") }

// parsePrintURIs reads apt-get --print-uris download's one line:
// 'URL' file size SHA256:hex.
func parsePrintURIs(out string) (uri string, size int64, sha256 string, err error) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || !strings.HasPrefix(f[0], "'") {
			continue
		}
		size, err = strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return "", 0, "", fmt.Errorf("size in %q: %w", line, err)
		}
		sum, ok := strings.CutPrefix(f[3], "SHA256:")
		if !ok {
			return "", 0, "", fmt.Errorf("no SHA256 in %q", line)
		}
		return strings.Trim(f[0], "'"), size, sum, nil
	}
	return "", 0, "", fmt.Errorf("no download line in %q", strings.TrimSpace(out))
}

// DownloadSource fetches the files of source package name at exactly
// version (its .dsc, orig and debian tarballs) into dir with apt-get
// source --download-only; apt checks each against the .dsc. a must be the
// SourceArch apt, updated. It is meant for pinned source packages: a
// version the mirror no longer has fails.
func (a *Apt) DownloadSource(ctx context.Context, run Run, name, version, dir string) error {
	if a.Arch != SourceArch {
		return fmt.Errorf("downloading source %s: the apt of %s has no deb-src lines (use NewApt with SourceArch)", name, a.Arch)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("downloading source %s: %w", name, err)
	}
	exact := name // "": the suite's newest version
	if version != "" {
		exact += "=" + version
	}
	out, err := run(ctx, a.command("apt-get", "-q", "source", "--download-only", exact), dir, Env)
	if err != nil {
		return fmt.Errorf("apt-get source --download-only %s: %w: %s%s", exact, err, aptErrors(out), a.sourceAdvice(ctx, run, name, string(out)))
	}
	return nil
}

// sourceAdvice says what to do after apt-get source failed for name: a
// name with no source package in the suite, or a version whose files the
// mirror does not serve (it lists a security update it lags on), with the
// versions the suite lists (apt-cache showsrc, which also answers for a
// binary package's name with its source package).
func (a *Apt) sourceAdvice(ctx context.Context, run Run, name, aptOut string) string {
	if strings.Contains(aptOut, "Unable to find a source package") {
		return fmt.Sprintf(" (%s has no source package named %s, nor one building a package of that name)", a.Suite, name)
	}
	if !strings.Contains(aptOut, "404") && !strings.Contains(aptOut, "Failed to fetch") {
		return ""
	}
	var pins []string
	if out, err := run(ctx, a.command("apt-cache", "showsrc", name), a.Dir, Env); err == nil {
		pkg := ""
		for _, l := range strings.Split(string(out), "\n") {
			if p, ok := strings.CutPrefix(l, "Package: "); ok {
				pkg = strings.TrimSpace(p)
			}
			if v, ok := strings.CutPrefix(l, "Version: "); ok && pkg != "" {
				if pin := pkg + "=" + strings.TrimSpace(v); !slices.Contains(pins, pin) {
					pins = append(pins, pin)
				}
			}
		}
	}
	if len(pins) == 0 {
		return " (the mirror lists that version but does not serve its files)"
	}
	return fmt.Sprintf(" (the mirror lists that version but does not serve its files; %s lists %s: name another, as in %s)",
		a.Suite, strings.Join(pins, ", "), pins[len(pins)-1])
}

// aptErrors is apt's output cut to its error lines ("E: ..."), or all of
// it when there are none.
func aptErrors(out []byte) string {
	var errs []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") {
			errs = append(errs, strings.TrimSpace(l))
		}
	}
	if len(errs) == 0 {
		return strings.TrimSpace(string(out))
	}
	return strings.Join(errs, "; ")
}
