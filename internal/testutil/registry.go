package testutil

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Registry is a real registry (Debian's docker-registry, distribution 2.8)
// serving one test on 127.0.0.1.
type Registry struct {
	Host    string // 127.0.0.1:PORT, as image references name it
	Storage string // its filesystem root
}

// BlobPath is where the registry keeps the bytes of a blob (digest
// "sha256:<hex>"), for tests that damage them.
func (r *Registry) BlobPath(digest string) string {
	hex := digest[len("sha256:"):]
	return filepath.Join(r.Storage, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

// StartRegistry starts `docker-registry serve` on 127.0.0.1 at a free port
// with a temporary storage directory, waits until /v2/ answers, and stops
// it when the test ends. A machine without docker-registry is Missing
// (install it with apt-get install docker-registry, or go tool mage setup).
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		Missing(t, "docker-registry is not installed (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	storage := filepath.Join(dir, "storage")
	var host string
	var cmd *exec.Cmd
	var log *lockedBuffer
	// A port found free may be taken before the registry binds it: try a
	// few.
	for attempt := 0; ; attempt++ {
		host = freeAddr(t)
		config := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
			"storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"+
			"http:\n  addr: %s\n  secret: fromscratch-test\n", storage, host)
		cfgPath := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		log = &lockedBuffer{}
		cmd = exec.Command(bin, "serve", cfgPath)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting docker-registry: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if waitHTTP(host, exited, 15*time.Second) {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			break
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			t.Fatalf("docker-registry did not answer on %s:\n%s", host, log.String())
		}
	}
	return &Registry{Host: host, Storage: storage}
}

// freeAddr returns 127.0.0.1:PORT with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitHTTP polls http://host/v2/ until it answers 200, the process exits or
// the time is up.
func waitHTTP(host string, exited <-chan struct{}, limit time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/v2/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-exited:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// lockedBuffer collects a process's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
