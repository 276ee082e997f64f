package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// writeHelloLayout writes out/oci/hello/ with one index, gcc-static, of the
// checked-in tiny static programs for the four platforms, and returns the
// index's digest.
func writeHelloLayout(t *testing.T, root, outDir string) string {
	t.Helper()
	var imgs []image.Image
	for _, p := range recipe.Platforms {
		img, err := image.Build(image.Spec{
			Platform: string(p),
			Layers: []image.Layer{{CreatedBy: "COPY hello /hello", Files: []image.File{{
				Path: "/hello", Source: filepath.Join(root, "internal", "elfdeps", "testdata", "hello-"+p.Arch()+"-static"), Mode: 0o755,
			}}}},
			Entrypoint: []string{"/hello"},
			Created:    time.Unix(DefaultEpoch, 0),
		})
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	dir := filepath.Join(outDir, "oci", "hello")
	if err := image.WriteLayout(dir, []image.Index{{Name: "gcc-static", Images: imgs}}); err != nil {
		t.Fatal(err)
	}
	entries, err := image.ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := entries[0].Index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// bytesCounter counts the request body bytes a registry client sends.
type bytesCounter struct {
	mu   sync.Mutex
	sent int64
}

func (c *bytesCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body = countedBody{req.Body, c}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (c *bytesCounter) take() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.sent
	c.sent = 0
	return n
}

type countedBody struct {
	io.ReadCloser
	c *bytesCounter
}

func (b countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.mu.Lock()
	b.c.sent += int64(n)
	b.c.mu.Unlock()
	return n, err
}

// release:push pushes out/oci to a real registry under the layout's
// digests, attaches the SBOM release wrote, and sends nothing the second
// time.
func TestPush(t *testing.T) {
	reg := testutil.StartRegistry(t)
	root := repoRoot(t)
	c, out, cfg := testCLI(t, root)
	digest := writeHelloLayout(t, root, cfg.OutDir)
	os.MkdirAll(filepath.Join(cfg.OutDir, "oci", ".hello.tmp-1"), 0o755) // a killed run's leftover
	sbom := filepath.Join(cfg.OutDir, "release", "sbom", "hello_gcc-static_arm64.spdx.json")
	os.MkdirAll(filepath.Dir(sbom), 0o755)
	os.WriteFile(sbom, []byte(`{"spdxVersion":"SPDX-2.3","name":"hello-gcc-static-linux-arm64"}`), 0o644)
	counter := &bytesCounter{}
	c.registry = image.Registry{Transport: counter}
	prefix := reg.Host + "/fromscratch"

	if err := c.push(t.Context(), cfg, prefix); err != nil {
		t.Fatal(err)
	}
	first := counter.take()
	t.Log(out.String())
	if want := prefix + "/hello:gcc-static@" + digest + "\n"; !strings.Contains(out.String(), want) {
		t.Fatalf("output does not print %q", want)
	}
	if !strings.Contains(out.String(), "1 indexes with 4 images and 1 SBOMs") {
		t.Errorf("output does not count 1 index, 4 images, 1 SBOM")
	}
	pushed, err := c.registry.PushIndex(t.Context(), prefix+"/hello:gcc-static", layoutEntry(t, cfg.OutDir))
	if err != nil {
		t.Fatal(err)
	}
	counter.take()
	for _, d := range pushed.Images {
		refs, err := c.registry.Referrers(t.Context(), prefix+"/hello", d.Digest.String(), SBOMArtifactType)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[d.Platform.String() == "linux/arm64"]; len(refs) != want {
			t.Errorf("%s has %d SBOM referrers, want %d", d.Platform, len(refs), want)
		}
	}
	out.Reset()
	if err := c.push(t.Context(), cfg, prefix); err != nil {
		t.Fatal(err)
	}
	second := counter.take()
	t.Logf("release:push sent %d bytes the first time, %d the second", first, second)
	if second != 0 {
		t.Errorf("the second push sent %d bytes, want 0", second)
	}
}

// layoutEntry reads the one index of out/oci/hello.
func layoutEntry(t *testing.T, outDir string) v1.ImageIndex {
	t.Helper()
	entries, err := image.ReadLayout(filepath.Join(outDir, "oci", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	return entries[0].Index
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// release:push says what is wrong: no layouts, a prefix without a
// registry, a registry that is down, one that wants a login.
func TestPushErrors(t *testing.T) {
	root := repoRoot(t)
	c, _, cfg := testCLI(t, root)
	if err := c.push(t.Context(), cfg, "127.0.0.1:5000/x"); err == nil || !strings.Contains(err.Error(), "build:all") {
		t.Errorf("push without layouts: %v; want a hint to build first", err)
	}
	writeHelloLayout(t, root, cfg.OutDir)
	if err := c.push(t.Context(), cfg, "fromscratch"); err == nil || !strings.Contains(err.Error(), "REGISTRY/PREFIX") {
		t.Errorf("push to a bare name: %v; want REGISTRY/PREFIX asked for", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if err := c.push(t.Context(), cfg, closed+"/x"); !errors.Is(err, image.ErrUnreachable) || !strings.Contains(err.Error(), closed) {
		t.Errorf("push to a closed port: %v; want it unreachable and named", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	err = c.push(t.Context(), cfg, host+"/x")
	if !errors.Is(err, image.ErrUnauthorized) || !strings.Contains(err.Error(), "docker login "+host) {
		t.Errorf("push to a registry answering 401: %v; want docker login %s", err, host)
	}
}

// The action cache through a real registry: an entry one store puts,
// another gets; a damaged blob is rejected with a warning; a registry
// that is down costs one warning and the entries stay local.
func TestRegistryCache(t *testing.T) {
	reg := testutil.StartRegistry(t)
	ctx := t.Context()
	src := t.TempDir()
	program := []byte("pretend this is an ELF program of some length")
	files := map[string]string{"hello": filepath.Join(src, "hello"), "build.log": filepath.Join(src, "build.log")}
	os.WriteFile(files["hello"], program, 0o755)
	os.WriteFile(files["build.log"], []byte("fake compiler\n"), 0o644)
	k := cache.Inputs{Toolchain: "gcc", Platform: "linux/amd64"}.Key()
	var warnings []string
	through := func(remote cache.Remote) *cache.ReadThrough {
		return &cache.ReadThrough{Store: cache.Store{Dir: t.TempDir()}, Remote: remote,
			Warn: func(err error) { warnings = append(warnings, err.Error()) }}
	}
	rc := registryCache{repo: reg.Host + "/fromscratch/cache", reg: image.Registry{}}

	if err := through(rc).Put(ctx, k, files, nil); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if _, ok, err := through(rc).Get(ctx, k, dst); !ok || err != nil {
		t.Fatalf("Get from the registry: ok %v, %v", ok, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "hello")); string(got) != string(program) {
		t.Fatalf("restored %q, want %q", got, program)
	}
	if fi, err := os.Stat(filepath.Join(dst, "hello")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("restored program: %v, %v; want mode 0755", fi, err)
	}
	if len(warnings) != 0 {
		t.Fatalf("warnings: %q", warnings)
	}

	blob := reg.BlobPath(fmt.Sprintf("sha256:%s", sha256Hex(program)))
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[3] ^= 0xff
	os.WriteFile(blob, data, 0o644)
	if _, ok, err := through(rc).Get(ctx, k, t.TempDir()); ok || err != nil {
		t.Fatalf("Get of a damaged entry: ok %v, %v; want a miss", ok, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "rejected") {
		t.Fatalf("warnings %q, want one rejecting the entry", warnings)
	}

	warnings = nil
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	down := through(registryCache{repo: closed + "/cache", reg: image.Registry{}})
	for i := range 3 {
		ki := cache.Inputs{Toolchain: fmt.Sprint(i)}.Key()
		if _, ok, err := down.Get(ctx, ki, t.TempDir()); ok || err != nil {
			t.Fatalf("Get with the registry down: ok %v, %v", ok, err)
		}
		if err := down.Put(ctx, ki, files, nil); err != nil {
			t.Fatalf("Put with the registry down: %v", err)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], closed) {
		t.Fatalf("warnings %q, want one naming %s", warnings, closed)
	}
	t.Log(warnings[0])
}
