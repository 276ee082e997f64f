package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

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

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
