package source_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/source"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// server serves body at /src.tar.gz and counts requests.
func server(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path != "/src.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestFetchURL(t *testing.T) {
	body := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("p-1/a.c", "int a;\n")))
	srv, hits := server(t, body)
	cache := t.TempDir()
	s := &source.Store{Cache: cache, Client: srv.Client()}
	p, err := s.FetchURL(t.Context(), "", srv.URL+"/src.tar.gz", must(recipe.ParseSHA256("sha256:"+sum(body))))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "sources", "sha256", sum(body)); p != want {
		t.Errorf("path = %s, want %s", p, want)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, body) {
		t.Error("stored bytes differ from the served ones")
	}
	t.Run("a hit needs no network", func(t *testing.T) {
		srv.Close()
		offline := &source.Store{Cache: cache, Client: &http.Client{Transport: failing{}}}
		p2, err := offline.FetchURL(t.Context(), "", "http://127.0.0.1:1/src.tar.gz", must(recipe.ParseSHA256(sum(body))))
		if err != nil || p2 != p {
			t.Fatalf("offline FetchURL = %s, %v", p2, err)
		}
		if hits.Load() != 1 {
			t.Errorf("%d requests, want 1", hits.Load())
		}
	})
	t.Run("a damaged store file is fetched again", func(t *testing.T) {
		srv2, hits2 := server(t, body)
		os.WriteFile(p, []byte("damaged"), 0o644)
		s2 := &source.Store{Cache: cache, Client: srv2.Client()}
		if _, err := s2.FetchURL(t.Context(), "", srv2.URL+"/src.tar.gz", must(recipe.ParseSHA256(sum(body)))); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, body) || hits2.Load() != 1 {
			t.Errorf("not fetched again (%d requests)", hits2.Load())
		}
	})
}

// failing is a transport that fails every request: the proof of offline.
type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("network used")
}

func TestFetchURLCorrupted(t *testing.T) {
	body := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("p-1/a.c", "int a;\n")))
	corrupt := append([]byte(nil), body...)
	corrupt[len(corrupt)/2] ^= 0xff
	srv, _ := server(t, corrupt)
	cache := t.TempDir()
	s := &source.Store{Cache: cache, Client: srv.Client()}
	_, err := s.FetchURL(t.Context(), "", srv.URL+"/src.tar.gz", must(recipe.ParseSHA256("sha256:"+sum(body))))
	var de *source.DigestError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DigestError", err)
	}
	for _, w := range []string{"expected sha256:" + sum(body), "got sha256:" + sum(corrupt), srv.URL + "/src.tar.gz"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not show %q", err, w)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "sources", "sha256", sum(body))); !os.IsNotExist(err) {
		t.Error("a file is kept under the final name")
	}
	if tmp := testutil.TempNames(cache); len(tmp) > 0 {
		t.Errorf("left behind: %q", tmp)
	}
}

func TestFetchURLNotFound(t *testing.T) {
	srv, _ := server(t, nil)
	s := &source.Store{Cache: t.TempDir(), Client: srv.Client()}
	_, err := s.FetchURL(t.Context(), "", srv.URL+"/nope.tar.gz", must(recipe.ParseSHA256(strings.Repeat("0", 64))))
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("error = %v, want the 404", err)
	}
}

// TestFetchURLInterrupted: the server promises more bytes than it sends
// and cuts the connection; nothing is kept, and the next run succeeds.
// A download that stalls after its headers fails after the stall limit,
// naming the URL, and keeps nothing.
func TestFetchURLStalled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	cache := t.TempDir()
	s := &source.Store{Cache: cache, Client: srv.Client(), Stall: 200 * time.Millisecond}
	_, err := s.FetchURL(t.Context(), "", srv.URL+"/src.tar.gz", must(recipe.ParseSHA256(sum([]byte("whole")))))
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/src.tar.gz: no data for 200ms after 7 bytes (the download stalled; FROMSCRATCH_STALL_TIMEOUT") {
		t.Fatalf("error = %v", err)
	}
	if files := testutil.ReadTree(t, cache); len(files) != 0 {
		t.Errorf("kept: %v", files)
	}
}

func TestFetchURLInterrupted(t *testing.T) {
	body := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("p-1/a.c", strings.Repeat("int a;\n", 500))))
	var cut atomic.Bool
	cut.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cut.Load() {
			w.Write(body)
			return
		}
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	s := &source.Store{Cache: cache, Client: srv.Client()}
	if _, err := s.FetchURL(t.Context(), "", srv.URL+"/src.tar.gz", must(recipe.ParseSHA256(sum(body)))); err == nil {
		t.Fatal("an interrupted download succeeded")
	}
	if _, err := os.Stat(s.Path(sum(body))); !os.IsNotExist(err) {
		t.Error("a partial file is kept under the final name")
	}
	if tmp := testutil.TempNames(cache); len(tmp) > 0 {
		t.Errorf("left behind: %q", tmp)
	}
	cut.Store(false)
	if _, err := s.FetchURL(t.Context(), "", srv.URL+"/src.tar.gz", must(recipe.ParseSHA256(sum(body)))); err != nil {
		t.Fatalf("the rerun: %v", err)
	}
}

func TestFetchDebian(t *testing.T) {
	orig := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("jq-1.6/main.c", "int main(void){return 0;}\n")))
	deb := testutil.XZ(t, testutil.Tar(t, testutil.TarFile("debian/changelog", "jq\n")))
	files := map[string]recipe.Pin{"jq_1.6.orig.tar.gz": must(recipe.ParsePin("sha256:" + sum(orig))), "jq_1.6-2.debian.tar.xz": must(recipe.ParsePin("sha256:" + sum(deb)))}
	var calls atomic.Int32
	fetch := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
		calls.Add(1)
		if pkg != "jq" || version != "1.6-2" {
			t.Errorf("fetcher asked for %s %s", pkg, version)
		}
		testutil.WriteFile(t, filepath.Join(dir, "jq_1.6.orig.tar.gz"), orig)
		testutil.WriteFile(t, filepath.Join(dir, "jq_1.6-2.debian.tar.xz"), deb)
		testutil.WriteFile(t, filepath.Join(dir, "jq_1.6-2.dsc"), []byte("dsc"))
		return nil
	}
	cache := t.TempDir()
	s := &source.Store{Cache: cache, Debian: fetch}
	// One file vendored in the recipe folder: the fetcher is asked only for the other.
	vendor := t.TempDir()
	testutil.WriteFile(t, filepath.Join(vendor, "jq_1.6-2.debian.tar.xz"), deb)
	asked := map[string]string{}
	s.Debian = func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
		maps.Copy(asked, want)
		return fetch(ctx, pkg, version, want, dir)
	}
	got, err := s.FetchDebian(t.Context(), vendor, "jq", "1.6-2", files)
	if want := map[string]string{"jq_1.6.orig.tar.gz": sum(orig)}; !maps.Equal(asked, want) {
		t.Errorf("the fetcher was asked for %v, want %v (the store's missing files, with their pins)", asked, want)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got["jq_1.6.orig.tar.gz"] != s.Path(sum(orig)) || got["jq_1.6-2.debian.tar.xz"] != s.Path(sum(deb)) {
		t.Errorf("paths = %v", got)
	}
	// Offline: no fetcher at all, the store serves.
	offline := &source.Store{Cache: cache}
	if _, err := offline.FetchDebian(t.Context(), "", "jq", "1.6-2", files); err != nil {
		t.Errorf("offline: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("fetcher called %d times, want 1", calls.Load())
	}
	if tmp := testutil.TempNames(cache); len(tmp) > 0 {
		t.Errorf("left behind: %q", tmp)
	}

	t.Run("pin mismatch", func(t *testing.T) {
		bad := map[string]recipe.Pin{"jq_1.6.orig.tar.gz": must(recipe.ParsePin("sha256:" + strings.Repeat("ab", 32)))}
		_, err := (&source.Store{Cache: t.TempDir(), Debian: fetch}).FetchDebian(t.Context(), "", "jq", "1.6-2", bad)
		var de *source.DigestError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "expected sha256:"+strings.Repeat("ab", 32)) ||
			!strings.Contains(err.Error(), "got sha256:"+sum(orig)) || !strings.Contains(err.Error(), "jq_1.6.orig.tar.gz") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("file not in the package", func(t *testing.T) {
		missing := map[string]recipe.Pin{"jq_1.7.orig.tar.gz": must(recipe.ParsePin("sha256:" + strings.Repeat("ab", 32)))}
		_, err := (&source.Store{Cache: t.TempDir(), Debian: fetch}).FetchDebian(t.Context(), "", "jq", "1.6-2", missing)
		if err == nil || !strings.Contains(err.Error(), "no file jq_1.7.orig.tar.gz (it has: jq_1.6-2.debian.tar.xz, jq_1.6-2.dsc, jq_1.6.orig.tar.gz)") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("fetcher fails", func(t *testing.T) {
		failing := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
			return errors.New("E: Can not find version '9.9' of package 'jq'")
		}
		_, err := (&source.Store{Cache: t.TempDir(), Debian: failing}).FetchDebian(t.Context(), "", "jq", "9.9", files)
		if err == nil || !strings.Contains(err.Error(), "Debian source jq 9.9") || !strings.Contains(err.Error(), "Can not find version") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("no fetcher and not stored", func(t *testing.T) {
		_, err := (&source.Store{Cache: t.TempDir()}).FetchDebian(t.Context(), "", "jq", "1.6-2", files)
		if err == nil || !strings.Contains(err.Error(), "not in the source store and no Debian fetcher") {
			t.Errorf("error = %v", err)
		}
	})
}

func execRun(ctx context.Context, dir string, argv []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	return cmd.CombinedOutput()
}

func needPatch(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		testutil.Missing(t, "GNU patch is not installed (apt-get install patch)")
	}
}

const (
	patch1 = "--- a/msg.txt\n+++ b/msg.txt\n@@ -1 +1 @@\n-one\n+two\n"
	patch2 = "--- a/msg.txt\n+++ b/msg.txt\n@@ -1 +1 @@\n-two\n+three\n"
)

func TestApplyPatchesInOrder(t *testing.T) {
	needPatch(t)
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	testutil.WriteFile(t, filepath.Join(tree, "msg.txt"), []byte("one\n"))
	ps := []source.Patch{
		{Name: "first.patch", Path: testutil.WriteFile(t, filepath.Join(dir, "1.patch"), []byte(patch1)), Strip: 1},
		{Name: "second.patch", Path: testutil.WriteFile(t, filepath.Join(dir, "2.patch"), []byte(patch2)), Strip: 1},
	}
	if err := source.ApplyPatches(t.Context(), execRun, tree, ps); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(tree, "msg.txt")); string(b) != "three\n" {
		t.Errorf("msg.txt = %q", b)
	}
	// In the other order the second does not apply, and is named.
	testutil.WriteFile(t, filepath.Join(tree, "msg.txt"), []byte("one\n"))
	err := source.ApplyPatches(t.Context(), execRun, tree, []source.Patch{ps[1], ps[0]})
	var pe *source.PatchError
	if !errors.As(err, &pe) || pe.Patch != "second.patch" || !strings.Contains(err.Error(), "applying second.patch") {
		t.Fatalf("error = %v", err)
	}
	if entries, _ := os.ReadDir(tree); len(entries) != 1 {
		t.Errorf("the tree holds more than msg.txt (reject or backup files?): %v", entries)
	}
}

// A patch inside the tree (a Debian package's debian/patches) is given to
// patch relative to the tree, so that the command in build.log holds no
// folder of this machine (the tree is laid out under a random .tmp- name);
// the failure still names the hunk, read from the patch file.
func TestApplyPatchesInsideTreeRelative(t *testing.T) {
	needPatch(t)
	tree := filepath.Join(t.TempDir(), ".src.tmp-123", "tree")
	testutil.WriteFile(t, filepath.Join(tree, "msg.txt"), []byte("one\n"))
	p := source.Patch{Name: "debian/patches/x.patch", Path: testutil.WriteFile(t, filepath.Join(tree, "debian", "patches", "x.patch"), []byte(patch2)), Strip: 1}
	var argvs [][]string
	run := func(ctx context.Context, dir string, argv []string) ([]byte, error) {
		argvs = append(argvs, argv)
		return execRun(ctx, dir, argv)
	}
	err := source.ApplyPatches(t.Context(), run, tree, []source.Patch{p})
	if len(argvs) != 1 || argvs[0][len(argvs[0])-1] != filepath.Join("debian", "patches", "x.patch") {
		t.Errorf("patch ran as %q, want the patch named relative to the tree", argvs)
	}
	if err == nil || !strings.Contains(err.Error(), "msg.txt: hunk #1 (@@ -1 +1 @@) does not apply") {
		t.Errorf("error = %v, want the hunk named", err)
	}
}

// A patch that does not apply names the file and the hunk (with its @@
// header), a file that is not in the tree, and a file already patched.
func TestPatchErrorNamesFileAndHunk(t *testing.T) {
	needPatch(t)
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	testutil.WriteFile(t, filepath.Join(tree, "msg.txt"), []byte("one\n"))
	testutil.WriteFile(t, filepath.Join(tree, "src", "x.c"), []byte("a\nb\nc\nd\ne\nf\ng\nh\n"))
	for _, tc := range []struct{ name, patch, want string }{
		{"hunk", patch1 + "--- a/src/x.c\n+++ b/src/x.c\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n@@ -6,2 +6,2 @@ int main(void)\n f\n-G\n+g\n",
			"applying bad.patch: src/x.c: hunk #2 (@@ -6,2 +6,2 @@ int main(void)) does not apply at line 6"},
		{"missing", "--- a/nosuch.c\n+++ b/nosuch.c\n@@ -1 +1 @@\n-a\n+b\n",
			"applying bad.patch: no file to patch: nosuch.c (b/nosuch.c with -p1"},
		{"applied", patch1, "applying bad.patch: msg.txt: already applied (or reversed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testutil.WriteFile(t, filepath.Join(tree, "msg.txt"), []byte("two\n"))
			if tc.name == "hunk" {
				testutil.WriteFile(t, filepath.Join(tree, "msg.txt"), []byte("one\n"))
			}
			p := source.Patch{Name: "bad.patch", Path: testutil.WriteFile(t, filepath.Join(dir, tc.name+".patch"), []byte(tc.patch)), Strip: 1}
			err := source.ApplyPatches(t.Context(), execRun, tree, []source.Patch{p})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestQuiltSeries(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "debian", "patches", "series"), []byte("# comment\n01-a.patch\n\n02-b.diff -p0 # why\nsub/03.patch\n"))
	got, err := source.QuiltSeries(dir)
	if err != nil {
		t.Fatal(err)
	}
	pd := filepath.Join(dir, "debian", "patches")
	want := []source.Patch{
		{Name: "debian/patches/01-a.patch", Path: filepath.Join(pd, "01-a.patch"), Strip: 1},
		{Name: "debian/patches/02-b.diff", Path: filepath.Join(pd, "02-b.diff"), Strip: 0},
		{Name: "debian/patches/sub/03.patch", Path: filepath.Join(pd, "sub", "03.patch"), Strip: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("series = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("series[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if none, err := source.QuiltSeries(t.TempDir()); err != nil || none != nil {
		t.Errorf("no series: %v, %v", none, err)
	}
	testutil.WriteFile(t, filepath.Join(dir, "debian", "patches", "series"), []byte("../../evil.patch\n"))
	if _, err := source.QuiltSeries(dir); err == nil {
		t.Error("a series entry outside debian/patches was accepted")
	}
}

func loadRecipe(t *testing.T, toml string, files map[string]string) *recipe.Recipe {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	testutil.WriteFile(t, filepath.Join(dir, "recipe.toml"), []byte(toml))
	for n, b := range files {
		testutil.WriteFile(t, filepath.Join(dir, n), []byte(b))
	}
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTreeDebian: upstream tarball stripped, debian/ added, the quilt
// series then the recipe's patches applied, in that order; the second
// layout of the same recipe needs no fetcher.
func TestTreeDebian(t *testing.T) {
	needPatch(t)
	orig := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("demo-1.0/msg.txt", "one\n"), testutil.TarEntry{Name: "demo-1.0/configure", Body: "#!/bin/sh\n", Type: tar.TypeReg, Mode: 0o755}))
	deb := testutil.XZ(t, testutil.Tar(t, testutil.TarFile("debian/patches/series", "one-two.patch\n"), testutil.TarFile("debian/patches/one-two.patch", patch1)))
	r := loadRecipe(t, `language = "c"
build = "autotools"
binary = "usr/bin/demo"
patches = ["two-three.patch"]
[source]
debian = "demo"
version = "1.0-1"
debian_patches = true
files = { "demo_1.0.orig.tar.gz" = "sha256:`+sum(orig)+`", "demo_1.0-1.debian.tar.xz" = "sha256:`+sum(deb)+`" }
`, map[string]string{"two-three.patch": patch2})
	var calls int
	fetch := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
		calls++
		testutil.WriteFile(t, filepath.Join(dir, "demo_1.0.orig.tar.gz"), orig)
		testutil.WriteFile(t, filepath.Join(dir, "demo_1.0-1.debian.tar.xz"), deb)
		return nil
	}
	cache := t.TempDir()
	s := &source.Store{Cache: cache, Debian: fetch}
	for i := range 2 {
		dest := filepath.Join(t.TempDir(), "src")
		if err := s.Tree(t.Context(), execRun, r, dest); err != nil {
			t.Fatal(err)
		}
		tree := testutil.ReadTree(t, dest)
		if string(tree["msg.txt"]) != "three\n" || tree["debian/patches/series"] == nil || tree["configure"] == nil {
			t.Errorf("layout %d: tree = %q", i, tree)
		}
	}
	if calls != 1 {
		t.Errorf("fetcher called %d times, want 1", calls)
	}

	t.Run("a failing recipe patch is named and leaves nothing", func(t *testing.T) {
		bad := loadRecipe(t, strings.Replace(string(must(os.ReadFile(filepath.Join(r.Dir, "recipe.toml")))), "debian_patches = true", "debian_patches = false", 1),
			map[string]string{"two-three.patch": patch2})
		dir := t.TempDir()
		dest := filepath.Join(dir, "src")
		err := s.Tree(t.Context(), execRun, bad, dest)
		if err == nil || !strings.Contains(err.Error(), "applying recipes/demo/two-three.patch") {
			t.Fatalf("error = %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("left behind: %v", entries)
		}
	})
}

// TestSkipPatches: the named patches leave the series, the rest keep
// their order and -p; a name the series lacks is the recipe field's
// error, with the closest name, or every name when none is close.
func TestSkipPatches(t *testing.T) {
	series := []source.Patch{
		{Name: "debian/patches/01-fix.patch", Path: "/t/debian/patches/01-fix.patch", Strip: 1},
		{Name: "debian/patches/sub/CVE-1.patch", Path: "/t/debian/patches/sub/CVE-1.patch", Strip: 0},
		{Name: "debian/patches/90_gnutls.patch", Path: "/t/debian/patches/90_gnutls.patch", Strip: 1},
		{Name: "debian/patches/99_nss.patch", Path: "/t/debian/patches/99_nss.patch", Strip: 1},
	}
	got, bad := source.SkipPatches(series, []string{"99_nss.patch", "90_gnutls.patch"})
	if bad != nil || !slices.Equal(got, series[:2]) {
		t.Errorf("skipping the last two: %+v, %v", got, bad)
	}
	if got, bad := source.SkipPatches(series, []string{"sub/CVE-1.patch"}); bad != nil || !slices.Equal(got, []source.Patch{series[0], series[2], series[3]}) {
		t.Errorf("skipping one in a folder: %+v, %v", got, bad)
	}
	if got, bad := source.SkipPatches(series, nil); bad != nil || !slices.Equal(got, series) {
		t.Errorf("no skip list: %+v, %v", got, bad)
	}
	for _, tc := range []struct {
		skip []string
		want string
	}{
		{[]string{"90_gnutls.patch", "99_nsss.patch"}, `source.debian_patches_skip[1]: "99_nsss.patch" is not in debian/patches/series (did you mean 99_nss.patch?)`},
		{[]string{"debian/patches/90_gnutls.patch"}, `source.debian_patches_skip[0]: "debian/patches/90_gnutls.patch" is not in debian/patches/series ` +
			`(its patches: 01-fix.patch, sub/CVE-1.patch, 90_gnutls.patch, 99_nss.patch)`},
	} {
		_, bad := source.SkipPatches(series, tc.skip)
		if bad == nil || !strings.Contains(bad.Error(), tc.want) {
			t.Errorf("skip %q: error %v, want %q", tc.skip, bad, tc.want)
		}
	}
	if _, bad := source.SkipPatches(nil, []string{"x.patch"}); bad == nil || !strings.Contains(bad.Error(), `"x.patch" is not in debian/patches/series (the series lists no patch)`) {
		t.Errorf("empty series: %v", bad)
	}
}

// TestTreeDebianSkip: a series like bookworm's curl, whose last two
// patches make other flavours: skipped, the tree has the fixes and not
// the flavours (applied whole, it would have both, with real patch); a
// skipped name the series lacks fails naming the recipe file, the field,
// the closest name and the packaging tarball, and leaves nothing.
func TestTreeDebianSkip(t *testing.T) {
	needPatch(t)
	flavour := "--- a/lib.txt\n+++ b/lib.txt\n@@ -1 +1 @@\n-libcurl\n+libcurl-gnutls\n"
	flavour2 := "--- a/lib.txt\n+++ b/lib.txt\n@@ -1 +1 @@\n-libcurl-gnutls\n+libcurl-nss\n"
	orig := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("demo-1.0/msg.txt", "one\n"), testutil.TarFile("demo-1.0/lib.txt", "libcurl\n")))
	deb := testutil.XZ(t, testutil.Tar(t,
		testutil.TarFile("debian/patches/series", "one-two.patch\n# Do not add patches below.\n90_gnutls.patch\n99_nss.patch\n"),
		testutil.TarFile("debian/patches/one-two.patch", patch1),
		testutil.TarFile("debian/patches/90_gnutls.patch", flavour),
		testutil.TarFile("debian/patches/99_nss.patch", flavour2)))
	fetch := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
		testutil.WriteFile(t, filepath.Join(dir, "demo_1.0.orig.tar.gz"), orig)
		testutil.WriteFile(t, filepath.Join(dir, "demo_1.0-1.debian.tar.xz"), deb)
		return nil
	}
	s := &source.Store{Cache: t.TempDir(), Debian: fetch}
	recipeWith := func(skip string) *recipe.Recipe {
		return loadRecipe(t, `language = "c"
build = "autotools"
binary = "usr/bin/demo"
[source]
debian = "demo"
version = "1.0-1"
debian_patches = true
`+skip+`
files = { "demo_1.0.orig.tar.gz" = "sha256:`+sum(orig)+`", "demo_1.0-1.debian.tar.xz" = "sha256:`+sum(deb)+`" }
`, nil)
	}
	for _, tc := range []struct{ skip, msg, lib string }{
		{`debian_patches_skip = ["90_gnutls.patch", "99_nss.patch"]`, "two\n", "libcurl\n"},
		{"", "two\n", "libcurl-nss\n"},
		{`debian_patches_skip = ["99_nss.patch"]`, "two\n", "libcurl-gnutls\n"},
	} {
		var ran []string
		run := func(ctx context.Context, dir string, argv []string) ([]byte, error) {
			ran = append(ran, argv[len(argv)-1])
			return execRun(ctx, dir, argv)
		}
		dest := filepath.Join(t.TempDir(), "src")
		if err := s.Tree(t.Context(), run, recipeWith(tc.skip), dest); err != nil {
			t.Fatalf("%s: %v", tc.skip, err)
		}
		tree := testutil.ReadTree(t, dest)
		if string(tree["msg.txt"]) != tc.msg || string(tree["lib.txt"]) != tc.lib {
			t.Errorf("%s: msg.txt %q, lib.txt %q, want %q and %q (patches run: %q)", tc.skip, tree["msg.txt"], tree["lib.txt"], tc.msg, tc.lib, ran)
		}
	}

	dir := t.TempDir()
	err := s.Tree(t.Context(), execRun, recipeWith(`debian_patches_skip = ["90_gnutls.patch", "99-nss.patch"]`), filepath.Join(dir, "src"))
	var fe *recipe.FieldError
	want := `demo/recipe.toml: source.debian_patches_skip[1]: "99-nss.patch" is not in debian/patches/series (did you mean 99_nss.patch?) of demo_1.0-1.debian.tar.xz`
	if !errors.As(err, &fe) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error = %v, want a *recipe.FieldError ending %q", err, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestTreeURLAndFolder(t *testing.T) {
	body := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("top/inner/a.c", "int a;\n")))
	srv, _ := server(t, body)
	r := loadRecipe(t, `language = "c"
build = "make"
binary = "usr/bin/demo"
built = "demo"
[source]
url = "`+srv.URL+`/src.tar.gz"
sha256 = "`+sum(body)+`"
strip_components = 2
`, nil)
	s := &source.Store{Cache: t.TempDir(), Client: srv.Client()}
	dest := filepath.Join(t.TempDir(), "src")
	if err := s.Tree(t.Context(), execRun, r, dest); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "a.c")); string(b) != "int a;\n" {
		t.Errorf("a.c = %q", b)
	}

	folder := loadRecipe(t, "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/demo\"\nbuilt = \"demo\"\n",
		map[string]string{"Makefile": "all:\n", "src/demo.c": "int main;\n"})
	os.Chmod(filepath.Join(folder.Dir, "Makefile"), 0o4755)
	dest = filepath.Join(t.TempDir(), "src")
	if err := s.Tree(t.Context(), execRun, folder, dest); err != nil {
		t.Fatal(err)
	}
	tree := testutil.ReadTree(t, dest)
	if len(tree) != 2 || tree["Makefile"] == nil || tree["src/demo.c"] == nil {
		t.Errorf("tree = %q (recipe.toml must not be copied)", tree)
	}
	if st, _ := os.Stat(filepath.Join(dest, "Makefile")); st.Mode() != 0o755 {
		t.Errorf("Makefile mode %v, want 0755", st.Mode())
	}
}

// An empty source archive is named as such (not left for make to find
// "No targets specified"): a zero-byte file, an empty tar, an archive of
// folders only or of nothing below strip_components; so is a recipe
// folder with nothing to build.
func TestTreeOfAnEmptyArchive(t *testing.T) {
	for name, tc := range map[string]struct {
		body  []byte
		strip int
		want  string
	}{
		"zero bytes":    {nil, 0, "is empty: it holds no files"},
		"empty tar":     {testutil.Gzip(t, testutil.Tar(t)), 0, "is empty: it holds no files"},
		"folders only":  {testutil.Gzip(t, testutil.Tar(t, testutil.TarEntry{Name: "top/", Type: tar.TypeDir, Mode: 0o755})), 0, "is empty: it holds no files"},
		"above strip 2": {testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("top/README", "x"))), 2, "holds no files below its first 2 leading folders"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := server(t, tc.body)
			r := loadRecipe(t, fmt.Sprintf("language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/demo\"\n[source]\nurl = %q\nsha256 = %q\nstrip_components = %d\n",
				srv.URL+"/src.tar.gz", sum(tc.body), tc.strip), nil)
			s := &source.Store{Cache: t.TempDir(), Client: srv.Client()}
			err := s.Tree(t.Context(), execRun, r, filepath.Join(t.TempDir(), "src"))
			if want := "the source archive " + srv.URL + "/src.tar.gz "; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q and %q", err, want, tc.want)
			}
		})
	}
	folder := loadRecipe(t, "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/demo\"\n", nil)
	err := (&source.Store{Cache: t.TempDir()}).Tree(t.Context(), execRun, folder, filepath.Join(t.TempDir(), "src"))
	if err == nil || !strings.Contains(err.Error(), "recipes/demo holds no files to build besides recipe.toml") {
		t.Errorf("empty folder: error = %v", err)
	}
}

// TestVendored: a pinned file the store lacks is taken from the recipe
// folder, with no fetcher and no network, and kept in the store; a copy
// that does not match its pin is refused, naming it, and nothing is kept
// or laid out; without a copy in the folder the fetcher runs as before.
func TestVendored(t *testing.T) {
	orig := testutil.XZ(t, testutil.Tar(t, testutil.TarFile("demo-1.0/msg.txt", "vendored\n")))
	toml := `language = "c"
build = "make"
binary = "usr/bin/demo"
built = "demo"
[source]
debian = "demo"
version = "1.0-1"
files = { "demo_1.0.orig.tar.xz" = "sha256:` + sum(orig) + `" }
`
	t.Run("used with no fetcher and no network", func(t *testing.T) {
		r := loadRecipe(t, toml, map[string]string{"demo_1.0.orig.tar.xz": string(orig)})
		cache := t.TempDir()
		s := &source.Store{Cache: cache, Client: &http.Client{Transport: failing{}}} // no Debian fetcher
		dest := filepath.Join(t.TempDir(), "src")
		if err := s.Tree(t.Context(), execRun, r, dest); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dest, "msg.txt")); err != nil || string(b) != "vendored\n" {
			t.Errorf("msg.txt = %q, %v", b, err)
		}
		if b, err := os.ReadFile(s.Path(sum(orig))); err != nil || !bytes.Equal(b, orig) {
			t.Errorf("the store does not hold the vendored file: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dest, "demo_1.0.orig.tar.xz")); !os.IsNotExist(err) {
			t.Errorf("the vendored tarball is laid out in the tree (%v)", err)
		}
	})
	t.Run("mismatching its pin", func(t *testing.T) {
		bad := append([]byte(nil), orig...)
		bad[len(bad)/2] ^= 0xff
		r := loadRecipe(t, toml, map[string]string{"demo_1.0.orig.tar.xz": string(bad)})
		var calls int
		fetch := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
			calls++
			return nil
		}
		cache := t.TempDir()
		s := &source.Store{Cache: cache, Debian: fetch, Client: &http.Client{Transport: failing{}}}
		dir := t.TempDir()
		err := s.Tree(t.Context(), execRun, r, filepath.Join(dir, "src"))
		var de *source.DigestError
		if !errors.As(err, &de) {
			t.Fatalf("error %v is not a *DigestError", err)
		}
		if de.What != "demo/demo_1.0.orig.tar.xz" && !strings.HasSuffix(de.What, "/demo/demo_1.0.orig.tar.xz") {
			t.Errorf("DigestError names %q, want the recipe folder's file", de.What)
		}
		if strings.HasPrefix(de.What, "/") {
			t.Errorf("DigestError names %q: a machine path", de.What)
		}
		for _, w := range []string{"expected sha256:" + sum(orig), "got sha256:" + sum(bad), "demo_1.0.orig.tar.xz"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not show %q", err, w)
			}
		}
		if calls != 0 {
			t.Errorf("the fetcher ran %d times after a bad vendored copy, want 0", calls)
		}
		if _, err := os.Stat(s.Path(sum(orig))); !os.IsNotExist(err) {
			t.Error("a file is kept under the pin's name")
		}
		if tmp := testutil.TempNames(cache); len(tmp) > 0 {
			t.Errorf("left behind: %q", tmp)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("a tree was laid out: %v", entries)
		}
	})
	t.Run("without a copy the fetcher runs", func(t *testing.T) {
		r := loadRecipe(t, toml, nil)
		var calls int
		fetch := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
			calls++
			testutil.WriteFile(t, filepath.Join(dir, "demo_1.0.orig.tar.xz"), orig)
			return nil
		}
		s := &source.Store{Cache: t.TempDir(), Debian: fetch}
		if err := s.Tree(t.Context(), execRun, r, filepath.Join(t.TempDir(), "src")); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Errorf("fetcher called %d times, want 1", calls)
		}
	})
	t.Run("a fetcher's failure names the recipe", func(t *testing.T) {
		r := loadRecipe(t, toml, nil)
		gone := func(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
			return errors.New("demo_1.0.orig.tar.xz is gone")
		}
		err := (&source.Store{Cache: t.TempDir(), Debian: gone}).Tree(t.Context(), execRun, r, filepath.Join(t.TempDir(), "src"))
		if err == nil || !strings.Contains(err.Error(), "source of "+r.Name+": ") || !strings.Contains(err.Error(), "is gone") {
			t.Errorf("error = %v, want the recipe %s and the fetcher's error", err, r.Name)
		}
	})
	t.Run("the store comes first", func(t *testing.T) {
		// A damaged copy in the folder is not read when the store has the file.
		r := loadRecipe(t, toml, map[string]string{"demo_1.0.orig.tar.xz": "damaged"})
		s := &source.Store{Cache: t.TempDir()}
		testutil.WriteFile(t, s.Path(sum(orig)), orig)
		if _, err := s.FetchDebian(t.Context(), r.Dir, "demo", "1.0-1", r.Source.Files); err != nil {
			t.Errorf("FetchDebian with the file in the store: %v", err)
		}
	})
	t.Run("a URL source", func(t *testing.T) {
		body := testutil.Gzip(t, testutil.Tar(t, testutil.TarFile("top/a.c", "int a;\n")))
		r := loadRecipe(t, `language = "c"
build = "make"
binary = "usr/bin/demo"
built = "demo"
[source]
url = "https://example.invalid/dl/top-1.0.tar.gz?download=1"
sha256 = "`+sum(body)+`"
strip_components = 1
`, map[string]string{"top-1.0.tar.gz": string(body)})
		s := &source.Store{Cache: t.TempDir(), Client: &http.Client{Transport: failing{}}}
		dest := filepath.Join(t.TempDir(), "src")
		if err := s.Tree(t.Context(), execRun, r, dest); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dest, "a.c")); string(b) != "int a;\n" {
			t.Errorf("a.c = %q", b)
		}
		testutil.WriteFile(t, filepath.Join(r.Dir, "top-1.0.tar.gz"), []byte("other"))
		_, err := (&source.Store{Cache: t.TempDir(), Client: &http.Client{Transport: failing{}}}).FetchURL(t.Context(), r.Dir, r.Source.URL, r.Source.SHA256)
		var de *source.DigestError
		if !errors.As(err, &de) || !strings.HasSuffix(de.What, "demo/top-1.0.tar.gz") || strings.Contains(err.Error(), "network used") {
			t.Errorf("a mismatching vendored URL file: %v", err)
		}
	})
}

// TestVendoredPigz lays out the real recipes/pigz from the tarball
// vendored in its folder (the mirror answers 404 for it), with no fetcher
// and no network.
func TestVendoredPigz(t *testing.T) {
	r, err := recipe.Load(filepath.Join("..", "..", "recipes", "pigz"))
	if err != nil {
		t.Fatal(err)
	}
	s := &source.Store{Cache: t.TempDir(), Client: &http.Client{Transport: failing{}}}
	dest := filepath.Join(t.TempDir(), "src")
	if err := s.Tree(t.Context(), execRun, r, dest); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pigz.c", "yarn.c", "Makefile", "zopfli/src/zopfli/deflate.c"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("the pigz tree lacks %s: %v", f, err)
		}
	}
}
