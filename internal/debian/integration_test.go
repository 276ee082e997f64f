package debian

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/digest"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// execRun is the real Run (tests may start processes).
func execRun(ctx context.Context, argv []string, dir string, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append([]string{}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func machineSources(t *testing.T) []byte {
	t.Helper()
	for _, tool := range []string{"apt-get", "apt-cache"} {
		if _, err := exec.LookPath(tool); err != nil {
			testutil.Missing(t, "%s is not installed: %v", tool, err)
		}
	}
	if _, err := os.Stat(DefaultKeyring); err != nil {
		testutil.Missing(t, "no Debian archive keyring: %v", err)
	}
	var data []byte
	for _, f := range []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"} {
		if b, err := os.ReadFile(f); err == nil {
			data = append(append(data, b...), '\n')
		}
	}
	if _, err := ParseSources(data, "bookworm"); err != nil {
		testutil.Missing(t, "no bookworm mirror in this machine's apt sources: %v", err)
	}
	return data
}

// TestRealArm64Runtime locks libc6:arm64 and libgcc-s1:arm64 against the
// real mirror into a temp cache, unpacks them, resolves the checked-in
// arm64 hello from them and checks its files against the .debs.
func TestRealArm64Runtime(t *testing.T) {
	if testing.Short() {
		t.Skip("talks to the Debian mirror")
	}
	sources := machineSources(t)
	ctx := t.Context()
	cache := t.TempDir()
	lock, err := Lock(ctx, execRun, cache, sources, "bookworm", []Want{
		{Platform: "linux/arm64", Arch: "arm64", Packages: []string{"libc6", "libgcc-s1"}},
		{Platform: "linux/riscv64", Note: "bookworm has no riscv64 port"},
	})
	if err != nil {
		t.Fatal(err)
	}
	pins, err := lock.Pins("linux/arm64", "libc6")
	if err != nil {
		t.Fatal(err)
	}
	libc := pins[0]
	if libc.Architecture != "arm64" || libc.Source != "glibc" || !strings.HasPrefix(libc.Version, "2.36-9+deb12u") {
		t.Errorf("libc6 pin %+v: want bookworm's glibc 2.36-9+deb12uN for arm64", libc)
	}
	t.Logf("pinned %s %s (%d bytes)", libc, libc.SHA256, libc.Size)
	if pl, _ := lock.Platform("linux/riscv64"); pl.RuntimeNote == "" || pl.Arch != "" {
		t.Errorf("riscv64 %+v: want only the note", pl)
	}

	fetch := MachineFetcher(cache, sources, "bookworm")
	rt, err := Prepare(ctx, fetch, lock, "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"lib/aarch64-linux-gnu/libc.so.6", "lib/ld-linux-aarch64.so.1", "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"} {
		if _, err := os.Stat(filepath.Join(rt.Sysroot, f)); err != nil {
			t.Errorf("unpacked libc6 lacks %s: %v", f, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(cache, "debian", "unpacked", "sha256", ".*"))
	if len(left) > 0 {
		t.Errorf("temporary directories left: %v", left)
	}

	// The checked-in hello for arm64 resolves from the runtime, not from
	// the cross packages.
	c, err := elfdeps.Resolve("../elfdeps/testdata/hello-arm64-dynamic", elfdeps.Options{Sysroot: rt.Sysroot, LibDirs: rt.LibDirs, InterpDirs: rt.LibDirs})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range c.Files {
		seen[f.ImagePath] = true
		pin, rel, ok := rt.Owner(f.Source)
		if !ok || pin.Name != "libc6" {
			t.Errorf("%s comes from %s, not from the pinned libc6", f.ImagePath, f.Source)
			continue
		}
		sum, err := digest.File(f.Source)
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.Verify(ctx, f.Source, sum); err != nil {
			t.Errorf("Verify %s (%s): %v", f.ImagePath, rel, err)
		}
		if err := rt.Verify(ctx, f.Source, strings.Repeat("0", 64)); err == nil {
			t.Errorf("Verify accepted a wrong sha256 for %s", f.ImagePath)
		}
	}
	if !seen["/lib/ld-linux-aarch64.so.1"] || !seen["/lib/libc.so.6"] {
		t.Errorf("closure %v: want the loader and libc.so.6", c.Files)
	}

	t.Run("a corrupted cached .deb is refused and fetched again", func(t *testing.T) {
		deb := DebPath(cache, libc)
		if err := os.WriteFile(deb, []byte("corrupted"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := fetch.Fetch(ctx, libc.Package()); err != nil {
			t.Fatal(err)
		}
		if err := checkSHA256(deb, libc.SHA256); err != nil {
			t.Error(err)
		}
	})
	t.Run("a version the mirror dropped is a GoneError", func(t *testing.T) {
		gone := libc
		gone.Version = "2.36-9+deb12u1"
		gone.Filename = strings.Replace(libc.Filename, libc.Version, gone.Version, 1)
		gone.SHA256 = strings.Repeat("ab", 32)
		_, err := MachineFetcher(t.TempDir(), sources, "bookworm").Fetch(ctx, gone.Package())
		var ge *GoneError
		if !errors.As(err, &ge) || !ge.NotFound || !strings.Contains(err.Error(), RefreshTarget()) {
			t.Errorf("error %v: want a GoneError (404) naming %s", err, RefreshTarget())
		}
	})
}
