package publish

import (
	"bytes"
	"errors"
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

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// writeHelloLayout writes out/oci/hello/ with one index, gcc-static, of the
// checked-in tiny static programs for the four platforms of CI's tests
// (recipe.CIPlatforms), and returns the index's digest.
func writeHelloLayout(t *testing.T, root, outDir string) string {
	t.Helper()
	var imgs []image.Image
	for _, p := range recipe.CIPlatforms { // four are enough for an index; s390x has no checked-in static hello (zig cannot link it)
		img, err := image.Build(image.Spec{
			Platform: string(p),
			Layers: []image.Layer{{CreatedBy: "COPY hello /hello", Files: []image.File{{
				Path: "/hello", Source: filepath.Join(root, "internal", "elfdeps", "testdata", "hello-"+p.Arch()+"-static"), Mode: 0o755,
			}}}},
			Entrypoint: []string{"/hello"},
			Created:    time.Unix(1704067200, 0),
		})
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	dir := outdir.Path(outDir).OCI("hello")
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
	root := testutil.RepoRoot(t)
	o, out := testOptions(t)
	digest := writeHelloLayout(t, root, o.Engine.OutDir)
	os.MkdirAll(filepath.Join(o.Engine.OutDir, "oci", ".hello.tmp-1"), 0o755) // a killed run's leftover
	sbom := filepath.Join(o.Engine.OutDir, "release", "sbom", "hello_gcc-static_arm64.spdx.json")
	os.MkdirAll(filepath.Dir(sbom), 0o755)
	os.WriteFile(sbom, []byte(`{"spdxVersion":"SPDX-2.3","name":"hello-gcc-static-linux-arm64"}`), 0o644)
	counter := &bytesCounter{}
	o.Registry = image.Registry{Transport: counter}
	prefix := reg.Host + "/fromscratch"

	result, err := Push(t.Context(), o, prefix)
	if err != nil {
		t.Fatal(err)
	}
	first := counter.take()
	// What was pushed, as release push --json prints it.
	if len(result) != 1 || result[0].Recipe != "hello" || result[0].Variant != "gcc-static" ||
		result[0].Ref != prefix+"/hello:gcc-static" || result[0].Digest != digest || len(result[0].Images) != 4 {
		t.Fatalf("Push returned %+v", result)
	}
	for _, img := range result[0].Images {
		if hasSBOM := img.SBOM != ""; hasSBOM != (img.Platform == "linux/arm64") || !strings.HasPrefix(img.Digest, "sha256:") {
			t.Errorf("pushed image %+v: want a digest, and an SBOM for linux/arm64 only", img)
		}
	}
	t.Log(out.String())
	if want := prefix + "/hello:gcc-static@" + digest + "\n"; !strings.Contains(out.String(), want) {
		t.Fatalf("output does not print %q", want)
	}
	if !strings.Contains(out.String(), "1 indexes with 4 images and 1 SBOMs") {
		t.Errorf("output does not count 1 index, 4 images, 1 SBOM")
	}
	pushed, err := o.Registry.PushIndex(t.Context(), prefix+"/hello:gcc-static", layoutEntry(t, o.Engine.OutDir))
	if err != nil {
		t.Fatal(err)
	}
	counter.take()
	for _, d := range pushed.Images {
		refs, err := o.Registry.Referrers(t.Context(), prefix+"/hello", d.Digest.String(), SBOMArtifactType)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[d.Platform.String() == "linux/arm64"]; len(refs) != want {
			t.Errorf("%s has %d SBOM referrers, want %d", d.Platform, len(refs), want)
		}
	}
	out.Reset()
	if _, err := Push(t.Context(), o, prefix); err != nil {
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
	entries, err := image.ReadLayout(outdir.Path(outDir).OCI("hello"))
	if err != nil {
		t.Fatal(err)
	}
	return entries[0].Index
}

// release:push says what is wrong: no layouts, a prefix without a
// registry, a registry that is down, one that wants a login.
func TestPushErrors(t *testing.T) {
	root := testutil.RepoRoot(t)
	o, _ := testOptions(t)
	if _, err := Push(t.Context(), o, "127.0.0.1:5000/x"); err == nil || !strings.Contains(err.Error(), "build:all") {
		t.Errorf("push without layouts: %v; want a hint to build first", err)
	}
	writeHelloLayout(t, root, o.Engine.OutDir)
	if _, err := Push(t.Context(), o, "fromscratch"); err == nil || !strings.Contains(err.Error(), "REGISTRY/PREFIX") {
		t.Errorf("push to a bare name: %v; want REGISTRY/PREFIX asked for", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if _, err := Push(t.Context(), o, closed+"/x"); !errors.Is(err, image.ErrUnreachable) || !strings.Contains(err.Error(), closed) {
		t.Errorf("push to a closed port: %v; want it unreachable and named", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err = Push(t.Context(), o, host+"/x")
	if !errors.Is(err, image.ErrUnauthorized) || !strings.Contains(err.Error(), "docker login "+host) {
		t.Errorf("push to a registry answering 401: %v; want docker login %s", err, host)
	}
}

// testOptions publish a fresh out/ of the repository, logging to the
// returned buffer.
func testOptions(t *testing.T) (Options, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	return Options{Engine: pipeline.Options{Root: testutil.RepoRoot(t), OutDir: filepath.Join(t.TempDir(), "out")}, Log: &out}, &out
}
