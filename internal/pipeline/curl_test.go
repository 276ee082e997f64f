package pipeline

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// curlTestEnv turns TestCurlTLS on: it builds curl and its four library
// recipes for two foreign platforms, cold on a new cache (see the test).
const curlTestEnv = "FROMSCRATCH_TEST_CURL"

// TestCurlTLS builds curl static for linux/arm64 and linux/s390x (the
// big-endian one) with gcc in the build root, checks that each image
// carries the CA bundle, and runs each static binary under qemu-user
// (qemu-<arch>-static, no container: the server is on the host's
// 127.0.0.1) against a Go TLS server with a CA made here:
//   - with --cacert, the request verifies and is served over HTTP/2 (the
//     server sees ProtoMajor 2, curl's %{http_version} says 2);
//   - --compressed decodes a gzip and a zstd response;
//   - a file:// URL gives the file's bytes;
//   - a certificate for another name fails with curl's exit code 60.
//
// Cold (an empty action cache) it costs the five recipes' builds on two
// platforms: minutes, so it runs only with FROMSCRATCH_TEST_CURL=1.
func TestCurlTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds curl and its libraries for two platforms")
	}
	if os.Getenv(curlTestEnv) == "" {
		t.Skipf("set %s=1: builds curl, mbedtls, nghttp2, zstd and zlib for linux/arm64 and linux/s390x (minutes cold)", curlTestEnv)
	}
	platforms := []recipe.Platform{recipe.ARM64, recipe.S390X}
	cfg := hermeticOptions(t, repoRoot(t))
	cfg.NoCache = false // the libraries' stages and curl's cells are kept: a second run builds nothing
	cfg.Recipes, cfg.Platforms, cfg.Toolchains, cfg.Linkages = []string{"curl"}, platforms, []string{"gcc"}, []recipe.Linkage{recipe.Static}
	if _, err := New(cfg).Build(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != len(platforms) {
		t.Fatalf("%d rows, want one per platform: %+v", len(m.Rows), m.Rows)
	}
	bundle, err := os.ReadFile(filepath.Join(repoRoot(t), "recipes", "curl", "ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	srv := newCurlServer(t)
	for _, row := range m.Rows {
		t.Run(strings.ReplaceAll(row.Platform, "/", "-"), func(t *testing.T) {
			if row.Status != matrix.StatusBuilt {
				t.Fatalf("%s: %s", row.Status, row.Reason)
			}
			t.Logf("%s: binary %d bytes, image %d bytes (docker), %d (registry)", row.Key(), row.Sizes.Binary, row.Sizes.ImageDocker, row.Sizes.ImageRegistry)
			p, _ := recipe.ParsePlatform(row.Platform)
			cell := recipe.Cell{Recipe: "curl", Platform: p, Toolchain: "gcc", Linkage: recipe.Static}
			img, err := image.Lookup(filepath.Join(cfg.OutDir, "oci", "curl"), cell.Variant(), row.Platform)
			if err != nil {
				t.Fatal(err)
			}
			if data, mode, err := fileInImage(img, "etc/ssl/certs/ca-certificates.crt"); err != nil || data != string(bundle) || mode != 0o644 {
				t.Errorf("the image's CA bundle: %d bytes, mode %o, %v; want recipes/curl/ca-certificates.crt (%d bytes), 0644", len(data), mode, err, len(bundle))
			}
			srv.check(t, p, filepath.Join(outdir.Path(cfg.OutDir).Bin(cell), "curl"))
		})
	}
}

// curlServer is an HTTP/2 TLS server on 127.0.0.1 with a certificate for
// curl.test from a CA made for the test, and a second one whose
// certificate names other.test.
type curlServer struct {
	good, wrong *httptest.Server
	caFile      string
	caPEM       string
	body        []byte
	mu          sync.Mutex
	protos      map[string]int // ProtoMajor by path
}

func newCurlServer(t *testing.T) *curlServer {
	ca, caKey := newTestCA(t)
	s := &curlServer{protos: map[string]int{}, caFile: filepath.Join(t.TempDir(), "ca.pem")}
	s.body = bytes.Repeat([]byte("fromscratch curl over HTTP/2\n"), 200)
	s.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	if err := os.WriteFile(s.caFile, []byte(s.caPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	s.good = s.start(t, newTestLeaf(t, ca, caKey, "curl.test"))
	s.wrong = s.start(t, newTestLeaf(t, ca, caKey, "other.test"))
	return s
}

func (s *curlServer) start(t *testing.T, cert tls.Certificate) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func (s *curlServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.protos[r.URL.Path] = r.ProtoMajor
	s.mu.Unlock()
	var buf bytes.Buffer
	switch r.URL.Path {
	case "/gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(s.body)
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
	case "/zstd":
		zw, _ := zstd.NewWriter(&buf)
		zw.Write(s.body)
		zw.Close()
		w.Header().Set("Content-Encoding", "zstd")
	default:
		buf.Write(s.body)
	}
	w.Write(buf.Bytes())
}

func (s *curlServer) proto(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.protos[path]
}

// check runs the built curl of platform p against the servers.
func (s *curlServer) check(t *testing.T, p recipe.Platform, bin string) {
	facts, _ := p.Facts()
	qemu, err := exec.LookPath("qemu-" + facts.QEMU + "-static")
	if err != nil {
		t.Fatalf("qemu-user for %s: %v", p, err)
	}
	run := func(srv *httptest.Server, args ...string) (string, int) {
		u, _ := url.Parse(srv.URL)
		port := u.Port()
		argv := append([]string{bin, "-sS", "--cacert", s.caFile, "--resolve", "curl.test:" + port + ":127.0.0.1", "--max-time", "60"}, args...)
		for i, a := range argv {
			argv[i] = strings.ReplaceAll(a, "{base}", "https://curl.test:"+port)
		}
		cmd := exec.CommandContext(t.Context(), qemu, argv...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("running %s: %v", bin, err)
		}
		if code != 0 {
			t.Logf("curl %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String(), code
	}

	if out, code := run(s.good, "-w", "\n%{http_version}", "{base}/plain"); code != 0 || out != string(s.body)+"\n2" {
		t.Errorf("GET /plain: exit %d, %d bytes of output; want the body and http_version 2", code, len(out))
	}
	if got := s.proto("/plain"); got != 2 {
		t.Errorf("the server saw HTTP/%d, want HTTP/2", got)
	}
	for _, enc := range []string{"gzip", "zstd"} {
		if out, code := run(s.good, "--compressed", "{base}/"+enc); code != 0 || out != string(s.body) {
			t.Errorf("GET /%s --compressed: exit %d, %d bytes; want the %d bytes decoded", enc, code, len(out), len(s.body))
		}
	}
	if out, code := run(s.good, "file://"+s.caFile); code != 0 || out != s.caPEM {
		t.Errorf("file://%s: exit %d, %q; want the file's bytes", s.caFile, code, out)
	}
	if _, code := run(s.wrong, "{base}/plain"); code != 60 {
		t.Errorf("a certificate for other.test: exit %d, want 60 (peer certificate cannot be authenticated)", code)
	}
}

// newTestCA makes a self-signed CA certificate and its key.
func newTestCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fromscratch test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

// newTestLeaf makes a server certificate for name, signed by ca. Mbed TLS
// 2.28 matches DNS names only (no IP addresses), hence a name and
// curl's --resolve.
func newTestLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
