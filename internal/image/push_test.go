package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// helloLayout writes an OCI layout holding one multi-arch index,
// "gcc-static", of the checked-in tiny static programs (they print
// "hello from C") for the four platforms of CI's tests
// (recipe.CIPlatforms), and returns its directory and the index's digest
// as index.json records it.
func helloLayout(t *testing.T) (dir, digest string) {
	t.Helper()
	var imgs []v1.Image
	for _, dp := range recipe.CIPlatforms { // four are enough for an index; s390x has no checked-in static hello (zig cannot link it)
		p := string(dp)
		arch := strings.ReplaceAll(strings.TrimPrefix(p, "linux/"), "/", "-")
		src, err := filepath.Abs(filepath.Join("..", "elfdeps", "testdata", "hello-"+arch+"-static"))
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, mustBuild(t, Spec{
			Platform:   p,
			Layers:     []Layer{{CreatedBy: "COPY hello /hello", Files: []File{{Path: "/hello", Source: src, Mode: 0o755}}}},
			Entrypoint: []string{"/hello"},
			Created:    created,
		}))
	}
	dir = filepath.Join(t.TempDir(), "oci", "hello")
	if err := WriteLayout(dir, []Index{{Name: "gcc-static", Images: imgs}}); err != nil {
		t.Fatal(err)
	}
	var top v1.IndexManifest
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	return dir, top.Manifests[0].Digest.String()
}

// layoutIndex reads the one index of a layout written by helloLayout.
func layoutIndex(t *testing.T, dir string) v1.ImageIndex {
	t.Helper()
	entries, err := ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries[0].Index
}

// counter is a RoundTripper that counts the request body bytes sent and
// the blobs whose upload was committed, and can cut a push off: after
// failAfter blob uploads (when failAfter > 0) every further upload fails
// before sending a byte, once those have arrived.
type counter struct {
	mu        sync.Mutex
	sent      int64
	committed []string // digests, in commit order
	uploads   int
	failAfter int
}

var errCutOff = errors.New("connection cut off by the test")

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if req.Method == http.MethodPatch || (req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/blobs/uploads/") && req.ContentLength > 0) {
		if c.failAfter > 0 && c.uploads >= c.failAfter {
			c.mu.Unlock()
			// Uploads run in parallel: let the first ones arrive, so the
			// cut falls after exactly failAfter blobs.
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				c.mu.Lock()
				n := len(c.committed)
				c.mu.Unlock()
				if n >= c.failAfter {
					break
				}
			}
			return nil, errCutOff
		}
		c.uploads++
	}
	c.mu.Unlock()
	if req.Body != nil {
		req.Body = &countingBody{ReadCloser: req.Body, c: c}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && req.Method == http.MethodPut && resp.StatusCode == http.StatusCreated {
		if d := req.URL.Query().Get("digest"); d != "" {
			c.mu.Lock()
			c.committed = append(c.committed, d)
			c.mu.Unlock()
		}
	}
	return resp, err
}

func (c *counter) bytesSent() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}

type countingBody struct {
	io.ReadCloser
	c *counter
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.mu.Lock()
	b.c.sent += int64(n)
	b.c.mu.Unlock()
	return n, err
}

// layoutBlobs lists the digests of every blob of a layout's images:
// configs and layers (what a push uploads as blobs).
func layoutBlobs(t *testing.T, idx v1.ImageIndex) []string {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		seen[m.Config.Digest.String()] = true
		for _, l := range m.Layers {
			seen[l.Digest.String()] = true
		}
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// runTool runs a command and returns its standard output.
func runTool(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Against the real registry: the pushed index has the layout's digest,
// skopeo sees it, a second push sends no blob, the SBOM is a referrer
// that ggcr finds through the referrers tag schema, and docker pulls the
// index by digest and runs the arm64 image.
func TestPushToRealRegistry(t *testing.T) {
	reg := testutil.StartRegistry(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	dir, want := helloLayout(t)
	idx := layoutIndex(t, dir)
	c := &counter{}
	r := Registry{Transport: c}
	ref := reg.Host + "/fromscratch/hello:gcc-static"

	pushed, err := r.PushIndex(ctx, ref, idx)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Digest != want {
		t.Fatalf("pushed digest %s, the layout's index.json has %s", pushed.Digest, want)
	}
	if len(pushed.Images) != 4 {
		t.Fatalf("pushed %d images, want 4", len(pushed.Images))
	}
	first := c.bytesSent()
	if got, want := len(c.committed), len(layoutBlobs(t, idx)); got != want {
		t.Errorf("the first push committed %d blobs, the layout has %d", got, want)
	}
	c.committed, c.sent = nil, 0
	if _, err := r.PushIndex(ctx, ref, idx); err != nil {
		t.Fatal(err)
	}
	second := c.bytesSent()
	t.Logf("bytes sent: first push %d, second push %d", first, second)
	if len(c.committed) != 0 || second != 0 {
		t.Errorf("the second push sent %d bytes and committed blobs %v, want nothing", second, c.committed)
	}

	t.Run("skopeo", func(t *testing.T) {
		if _, err := exec.LookPath("skopeo"); err != nil {
			testutil.Missing(t, "skopeo is not installed (apt-get install skopeo)")
		}
		raw := runTool(t, ctx, "skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref)
		if got := sha256Of([]byte(raw)); got != want {
			t.Errorf("skopeo reads a manifest with digest %s, want %s", got, want)
		}
		var im v1.IndexManifest
		if err := json.Unmarshal([]byte(raw), &im); err != nil {
			t.Fatal(err)
		}
		var platforms []string
		for _, m := range im.Manifests {
			platforms = append(platforms, m.Platform.String())
		}
		if im.MediaType != "application/vnd.oci.image.index.v1+json" || len(platforms) != 4 {
			t.Errorf("skopeo shows a %s of %v, want an OCI index of 4 platforms", im.MediaType, platforms)
		}
	})

	t.Run("SBOM referrer", func(t *testing.T) {
		var arm64 Descriptor
		for _, d := range pushed.Images {
			if d.Platform.String() == "linux/arm64" {
				arm64 = d
			}
		}
		repo := reg.Host + "/fromscratch/hello"
		sbom := []byte(`{"spdxVersion":"SPDX-2.3","name":"hello"}`)
		art, err := r.Attach(ctx, repo, arm64, "application/spdx+json", "hello.spdx.json", sbom)
		if err != nil {
			t.Fatal(err)
		}
		again, err := r.Attach(ctx, repo, arm64, "application/spdx+json", "hello.spdx.json", sbom)
		if err != nil || again != art {
			t.Fatalf("attaching again: %s, %v; want %s", again, err, art)
		}
		refs, err := r.Referrers(ctx, repo, arm64.Digest.String(), "application/spdx+json")
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || repo+"@"+refs[0].Digest.String() != art || refs[0].ArtifactType != "application/spdx+json" {
			t.Fatalf("referrers of the arm64 image: %+v, want one application/spdx+json artifact %s", refs, art)
		}
		// The referrers tag schema, as any tool sees it.
		if _, err := exec.LookPath("skopeo"); err == nil {
			raw := runTool(t, ctx, "skopeo", "inspect", "--raw", "--tls-verify=false",
				"docker://"+repo+":sha256-"+arm64.Digest.Hex)
			if !strings.Contains(raw, refs[0].Digest.String()) {
				t.Errorf("the referrers tag sha256-%s does not list %s: %s", arm64.Digest.Hex, refs[0].Digest, raw)
			}
		}
	})

	t.Run("docker pull and run arm64", func(t *testing.T) {
		if testing.Short() {
			t.Skip("docker run in -short mode")
		}
		if _, err := exec.LookPath("docker"); err != nil {
			testutil.Missing(t, "docker is not installed")
		}
		if err := exec.CommandContext(ctx, "docker", "info").Run(); err != nil {
			testutil.Missing(t, "no docker engine answers `docker info`: %v", err)
		}
		if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
			testutil.Missing(t, "binfmt_misc has no qemu-aarch64 entry: arm64 images cannot run here")
		}
		byDigest := reg.Host + "/fromscratch/hello@" + want
		runTool(t, ctx, "docker", "pull", "--platform", "linux/arm64", byDigest)
		t.Cleanup(func() { exec.Command("docker", "rmi", "--force", byDigest).Run() })
		out := runTool(t, ctx, "docker", "run", "--rm", "--network", "none", "--platform", "linux/arm64", byDigest)
		if strings.TrimSpace(out) != "hello from C" {
			t.Errorf("the arm64 image printed %q, want %q", out, "hello from C")
		}
	})
}

// A push cut off after two blob uploads fails with the cause; run again,
// it completes, uploading only the blobs that had not arrived.
func TestPushCutOffThenCompleted(t *testing.T) {
	reg := testutil.StartRegistry(t)
	ctx := t.Context()
	dir, want := helloLayout(t)
	idx := layoutIndex(t, dir)
	ref := reg.Host + "/fromscratch/hello:gcc-static"

	cut := &counter{failAfter: 2}
	if _, err := (Registry{Transport: cut}).PushIndex(ctx, ref, idx); !errors.Is(err, errCutOff) {
		t.Fatalf("the cut-off push returned %v, want the cut", err)
	}
	if len(cut.committed) != 2 {
		t.Fatalf("%d blobs arrived before the cut, want 2", len(cut.committed))
	}
	rest := &counter{}
	pushed, err := (Registry{Transport: rest}).PushIndex(ctx, ref, idx)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Digest != want {
		t.Fatalf("pushed %s, the layout has %s", pushed.Digest, want)
	}
	t.Logf("bytes sent: cut-off push %d, rerun %d", cut.bytesSent(), rest.bytesSent())
	all := map[string]int{}
	for _, d := range append(append([]string{}, cut.committed...), rest.committed...) {
		all[d]++
	}
	for _, d := range layoutBlobs(t, idx) {
		if all[d] != 1 {
			t.Errorf("blob %s was uploaded %d times over both runs, want once", d, all[d])
		}
	}
}

func TestPushUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close() // nothing listens there now
	dir, _ := helloLayout(t)
	_, err = Registry{}.PushIndex(t.Context(), host+"/hello:gcc-static", layoutIndex(t, dir))
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "registry "+host) {
		t.Fatalf("push to a closed port: %v; want ErrUnreachable naming %s", err, host)
	}
	t.Log(err)
}

func TestPushUnauthorized(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="fromscratch test"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir, _ := helloLayout(t)
	_, err := Registry{}.PushIndex(t.Context(), host+"/hello:gcc-static", layoutIndex(t, dir))
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "docker login "+host) {
		t.Fatalf("push to a registry answering 401: %v; want ErrUnauthorized saying docker login %s", err, host)
	}
	t.Log(err)
}

// Files artifacts round-trip through the in-process registry and the real
// one: names, bytes and modes; a missing tag is a miss.
func TestFilesArtifact(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{"hello": filepath.Join(src, "hello"), "logs/build.log": filepath.Join(src, "build.log")}
	os.WriteFile(files["hello"], []byte("\x7fELF pretend"), 0o755)
	os.WriteFile(files["logs/build.log"], []byte("fake compiler\n"), 0o644)
	for _, backend := range []string{"in-process", "docker-registry"} {
		t.Run(backend, func(t *testing.T) {
			var host string
			if backend == "in-process" {
				srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
				defer srv.Close()
				host = strings.TrimPrefix(srv.URL, "http://")
			} else {
				host = testutil.StartRegistry(t).Host
			}
			ctx := t.Context()
			r := Registry{}
			ref := host + "/cache:" + strings.Repeat("ab", 32)
			if _, ok, err := r.GetFiles(ctx, ref, "application/vnd.test", t.TempDir()); ok || err != nil {
				t.Fatalf("GetFiles of a missing tag: ok %v, %v; want a miss", ok, err)
			}
			if _, err := r.PutFiles(ctx, ref, "application/vnd.test", files); err != nil {
				t.Fatal(err)
			}
			dst := t.TempDir()
			got, ok, err := r.GetFiles(ctx, ref, "application/vnd.test", dst)
			if err != nil || !ok {
				t.Fatalf("GetFiles: ok %v, %v", ok, err)
			}
			for n, p := range files {
				want, _ := os.ReadFile(p)
				have, err := os.ReadFile(got[n])
				if err != nil || !bytes.Equal(have, want) {
					t.Errorf("%s: got %q (%v), want %q", n, have, err, want)
				}
				wi, _ := os.Stat(p)
				gi, _ := os.Stat(got[n])
				if gi.Mode().Perm() != wi.Mode().Perm() {
					t.Errorf("%s: mode %v, want %v", n, gi.Mode().Perm(), wi.Mode().Perm())
				}
			}
			if _, _, err := r.GetFiles(ctx, ref, "application/vnd.other", t.TempDir()); !errors.Is(err, ErrCorrupt) {
				t.Errorf("GetFiles of another artifact type: %v, want ErrCorrupt", err)
			}
		})
	}
}

// A blob damaged in the registry's storage is refused with ErrCorrupt.
func TestFilesArtifactCorruptBlob(t *testing.T) {
	reg := testutil.StartRegistry(t)
	ctx := t.Context()
	p := filepath.Join(t.TempDir(), "hello")
	content := []byte("the program's bytes, long enough to damage one")
	os.WriteFile(p, content, 0o755)
	ref := reg.Host + "/cache:" + strings.Repeat("cd", 32)
	if _, err := (Registry{}).PutFiles(ctx, ref, "application/vnd.test", map[string]string{"hello": p}); err != nil {
		t.Fatal(err)
	}
	blob := reg.BlobPath(sha256Of(content))
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, ok, err := (Registry{}).GetFiles(ctx, ref, "application/vnd.test", t.TempDir())
	if ok || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetFiles of a damaged blob: ok %v, %v; want ErrCorrupt", ok, err)
	}
	t.Log(err)
}
