package debian

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

func TestSourcePool(t *testing.T) {
	for pkg, want := range map[string]string{
		"tini":    "pool/main/t/tini",
		"lua5.4":  "pool/main/l/lua5.4",
		"libonig": "pool/main/libo/libonig",
		"lib":     "pool/main/l/lib",
	} {
		if got := SourcePool(pkg); got != want {
			t.Errorf("SourcePool(%s) = %s, want %s", pkg, got, want)
		}
	}
	if got := DscName("zlib", "1:1.2.13.dfsg-1"); got != "zlib_1.2.13.dfsg-1.dsc" {
		t.Errorf("DscName without the epoch = %s", got)
	}
}

// sourcePkg is a source package as an archive holds it: its files by
// name, and its .dsc listing them.
type sourcePkg struct {
	name, version string
	files         map[string][]byte
	dsc           []byte
}

func newSourcePkg(name, version string) *sourcePkg {
	upstream, _, _ := strings.Cut(version, "-")
	if _, v, ok := strings.Cut(upstream, ":"); ok {
		upstream = v
	}
	plain := strings.TrimPrefix(version, version[:strings.Index(version, ":")+1])
	s := &sourcePkg{name: name, version: version, files: map[string][]byte{
		name + "_" + upstream + ".orig.tar.gz": []byte("the upstream tarball of " + name),
		name + "_" + plain + ".debian.tar.xz":  []byte("the packaging of " + name),
	}}
	var b strings.Builder
	fmt.Fprintf(&b, "Format: 3.0 (quilt)\nSource: %s\nVersion: %s\nChecksums-Sha256:\n", name, version)
	for _, n := range s.names() {
		fmt.Fprintf(&b, " %s %d %s\n", sha256hex(s.files[n]), len(s.files[n]), n)
	}
	s.dsc = []byte(b.String())
	return s
}

func (s *sourcePkg) names() []string {
	var names []string
	for n := range s.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// want pins every file but the .dsc, as a recipe does.
func (s *sourcePkg) want() map[string]string {
	w := map[string]string{}
	for n, data := range s.files {
		w[n] = sha256hex(data)
	}
	return w
}

// serve puts the package into a's pool: the main pool, or the security
// archive's pool/updates/.
func (s *sourcePkg) serve(a *archive, security bool) {
	dir := SourcePool(s.name)
	if security {
		dir = "pool/updates/" + strings.TrimPrefix(dir, "pool/")
	}
	a.files[dir+"/"+DscName(s.name, s.version)] = s.dsc
	for n, data := range s.files {
		a.files[dir+"/"+n] = data
	}
}

// checkFetched fails unless dir holds exactly s's wanted files, intact.
func (s *sourcePkg) checkFetched(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(s.files) {
		t.Errorf("%s holds %d entries, want %d", dir, len(entries), len(s.files))
	}
	for n, want := range s.files {
		if got, err := os.ReadFile(filepath.Join(dir, n)); err != nil || string(got) != string(want) {
			t.Errorf("%s: %q, %v; want %q", n, got, err, want)
		}
	}
}

// TestFetchSource: a pinned source package fetched by pool path from the
// mirror, with its .dsc first and nothing else asked.
func TestFetchSource(t *testing.T) {
	pkg := newSourcePkg("libdemo", "1:1.0-1")
	mirror, mirrorURL := newArchive(t, nil, nil)
	pkg.serve(mirror, false)
	archive, archiveURL := newArchive(t, nil, nil)
	f := &Fetcher{CacheDir: t.TempDir(), Mirror: mirrorURL, Archive: archiveURL}
	dir := t.TempDir()
	if err := f.FetchSource(t.Context(), "libdemo", "1:1.0-1", pkg.want(), dir); err != nil {
		t.Fatal(err)
	}
	pkg.checkFetched(t, dir)
	want := []string{"/debian/pool/main/libd/libdemo/libdemo_1.0-1.dsc",
		"/debian/pool/main/libd/libdemo/libdemo_1.0-1.debian.tar.xz",
		"/debian/pool/main/libd/libdemo/libdemo_1.0.orig.tar.gz"}
	if !slices.Equal(mirror.paths, want) || archive.count() != 0 {
		t.Errorf("the mirror was asked for %q and the archive %d times, want %q and none", mirror.paths, archive.count(), want)
	}
}

// TestFetchSourceFallsBack: a file the mirror dropped or spoils comes
// from the archive; a security update comes from the security archive's
// pool/updates/.
func TestFetchSourceFallsBack(t *testing.T) {
	pkg := newSourcePkg("demo", "1.0-1")
	orig := SourcePool("demo") + "/demo_1.0.orig.tar.gz"
	deb := SourcePool("demo") + "/demo_1.0-1.debian.tar.xz"
	mirror, mirrorURL := newArchive(t, nil, nil)
	pkg.serve(mirror, false)
	mirror.dropped[orig] = true
	mirror.spoiled[deb] = true
	archive, archiveURL := newArchive(t, nil, nil)
	pkg.serve(archive, false)
	f := &Fetcher{CacheDir: t.TempDir(), Mirror: mirrorURL, Archive: archiveURL}
	dir := t.TempDir()
	if err := f.FetchSource(t.Context(), "demo", "1.0-1", pkg.want(), dir); err != nil {
		t.Fatal(err)
	}
	pkg.checkFetched(t, dir)
	if want := []string{"/debian/" + deb, "/debian/" + orig}; !slices.Equal(archive.paths, want) {
		t.Errorf("the archive was asked for %q, want %q (the spoiled and the dropped file)", archive.paths, want)
	}

	t.Run("security", func(t *testing.T) {
		sec := newSourcePkg("jq", "1.6-2.1+deb12u2")
		mirror, mirrorURL := newArchive(t, nil, nil)
		sec.serve(mirror, true)
		f := &Fetcher{CacheDir: t.TempDir(), Mirror: mirrorURL, Archive: mirrorURL}
		dir := t.TempDir()
		if err := f.FetchSource(t.Context(), "jq", "1.6-2.1+deb12u2", sec.want(), dir); err != nil {
			t.Fatal(err)
		}
		sec.checkFetched(t, dir)
		if want := "/debian-security/pool/updates/main/j/jq/jq_1.6.orig.tar.gz"; !slices.Contains(mirror.paths, want) {
			t.Errorf("asked for %q, not %s", mirror.paths, want)
		}
	})
}

// TestFetchSourceRefuses: a pin that is not the .dsc's, bytes that are
// not the pin's, and a file no place has all fail with what to do, and
// leave nothing behind.
func TestFetchSourceRefuses(t *testing.T) {
	pkg := newSourcePkg("tini", "0.19.0-1")
	orig := "tini_0.19.0.orig.tar.gz"
	setup := func(t *testing.T) (*archive, *Fetcher) {
		a, u := newArchive(t, nil, nil)
		pkg.serve(a, false)
		return a, &Fetcher{CacheDir: t.TempDir(), Mirror: u, Archive: u}
	}
	t.Run("a pin of another version", func(t *testing.T) {
		a, f := setup(t)
		want := pkg.want()
		want[orig] = strings.Repeat("ab", 32)
		dir := t.TempDir()
		err := f.FetchSource(t.Context(), "tini", "0.19.0-1", want, dir)
		for _, s := range []string{orig, "sha256:" + strings.Repeat("ab", 32), "sha256:" + sha256hex(pkg.files[orig]), SourcePinTarget() + " tini"} {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("error %v does not name %q", err, s)
			}
		}
		if a.count() != 1 {
			t.Errorf("%d requests, want 1 (the .dsc alone)", a.count())
		}
	})
	t.Run("a file not in the package", func(t *testing.T) {
		_, f := setup(t)
		err := f.FetchSource(t.Context(), "tini", "0.19.0-1", map[string]string{"tini_0.20.orig.tar.gz": strings.Repeat("ab", 32)}, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "has no file tini_0.20.orig.tar.gz (its .dsc lists tini_0.19.0-1.debian.tar.xz, tini_0.19.0.orig.tar.gz)") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("wrong bytes", func(t *testing.T) {
		a, f := setup(t)
		a.spoiled[SourcePool("tini")+"/"+orig] = true
		dir := t.TempDir()
		err := f.FetchSource(t.Context(), "tini", "0.19.0-1", pkg.want(), dir)
		var ge *SourceGoneError
		if !errors.As(err, &ge) || ge.NotFound || !strings.Contains(err.Error(), "sha256 "+sha256hex(pkg.files[orig])) {
			t.Errorf("error = %v, want a *SourceGoneError saying the sha256 differs", err)
		}
		if _, err := os.Stat(filepath.Join(dir, orig)); err == nil {
			t.Error("the spoiled file was kept")
		}
	})
	t.Run("gone", func(t *testing.T) {
		a, f := setup(t)
		a.dropped[SourcePool("tini")+"/"+orig] = true
		err := f.FetchSource(t.Context(), "tini", "0.19.0-1", pkg.want(), t.TempDir())
		var ge *SourceGoneError
		if !errors.As(err, &ge) || !ge.NotFound || ge.File != orig || len(ge.URLs) != 2 {
			t.Fatalf("error = %v, want a *SourceGoneError for %s with NotFound and its 2 URLs", err, orig)
		}
		for _, s := range append(ge.URLs, "tini 0.19.0-1", SourcePinTarget()+" tini", "beside recipe.toml") {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%q does not name %q", err, s)
			}
		}
	})
	t.Run("a pinned .dsc", func(t *testing.T) {
		_, f := setup(t)
		want := pkg.want()
		want[DscName("tini", "0.19.0-1")] = sha256hex(pkg.dsc)
		dir := t.TempDir()
		if err := f.FetchSource(t.Context(), "tini", "0.19.0-1", want, dir); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "tini_0.19.0-1.dsc")); string(got) != string(pkg.dsc) {
			t.Errorf("the pinned .dsc was not kept: %q", got)
		}
		want[DscName("tini", "0.19.0-1")] = strings.Repeat("cd", 32)
		err := f.FetchSource(t.Context(), "tini", "0.19.0-1", want, t.TempDir())
		if ge, ok := errors.AsType[*SourceGoneError](err); !ok || ge.File != "tini_0.19.0-1.dsc" {
			t.Errorf("a .dsc of another sha256 = %v, want a *SourceGoneError naming it", err)
		}
	})
}

// TestRealFetchSource fetches the tree recipe's pinned files from the
// machine's mirror by pool path, as a build does (about 70 kB).
func TestRealFetchSource(t *testing.T) {
	if testing.Short() {
		t.Skip("talks to the Debian mirror")
	}
	r, err := recipe.Load(filepath.Join(testutil.RepoRoot(t), "recipes", "tree"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for n, p := range r.Source.Files {
		want[n] = p.Hex()
	}
	f := MachineFetcher(t.TempDir(), nil, "bookworm")
	dir := t.TempDir()
	if err := f.FetchSource(t.Context(), r.Source.Debian, r.Source.Version, want, dir); err != nil {
		t.Fatal(err)
	}
	for n, h := range want {
		if err := checkSHA256(filepath.Join(dir, n), h); err != nil {
			t.Error(err)
		}
	}
}
