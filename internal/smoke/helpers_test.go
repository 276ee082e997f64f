package smoke

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// crossCC is the compiler that builds a static hi for each platform the tests use.
var crossCC = map[string]string{
	"linux/amd64":   "gcc",
	"linux/arm64":   "aarch64-linux-gnu-gcc",
	"linux/arm/v7":  "arm-linux-gnueabihf-gcc",
	"linux/riscv64": "riscv64-linux-gnu-gcc",
}

// compile builds testdata/hi.c with cc into t's temp dir; static selects -static.
func compile(t *testing.T, cc string, static bool) string {
	t.Helper()
	if _, err := exec.LookPath(cc); err != nil {
		testutil.Missing(t, "%s is not installed (Debian gcc or gcc-<triple> packages)", cc)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "hi.c"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hi")
	args := []string{"-O2", "-o", bin, src}
	if static {
		args = append([]string{"-static"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cc, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	if out, err := cmd.CombinedOutput(); err != nil {
		testutil.Missing(t, "%s cannot build hi.c (is its libc6-dev package installed?): %v: %s", cc, err, out)
	}
	return bin
}

// tagSeq makes test tags unique within this process; the pid makes them unique across processes.
var tagSeq atomic.Int64

// image is a test image: one layer holding bin as /hi, entrypoint /hi and default Cmd ["0"].
type image struct {
	spec Spec
	want Expect // what running it with the default Cmd prints
}

// newImage writes a docker archive of bin for platform and returns a Spec that runs it.
func newImage(t *testing.T, bin, platform string) image {
	t.Helper()
	tag := fmt.Sprintf("fromscratch-smoke-test:%s-%d-%d", strings.ReplaceAll(platform, "/", "-"), os.Getpid(), tagSeq.Add(1))
	archive := filepath.Join(t.TempDir(), "image.tar")
	entrypoint, cmd := []string{"/hi"}, []string{"0"}
	if err := writeDockerArchive(archive, tag, platform, bin, entrypoint, cmd); err != nil {
		t.Fatal(err)
	}
	return image{
		spec: Spec{
			Name:       t.Name(),
			Archive:    archive,
			Tag:        tag,
			Platform:   platform,
			Entrypoint: entrypoint,
			Cmd:        cmd,
			Unpack:     func(dir string) error { return copyFile(bin, filepath.Join(dir, "hi")) },
			Timeout:    time.Minute,
		},
		want: Equal("hello from smoke\ncode 0\n", 0),
	}
}

// copyFile copies src to dst with mode 0755.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// writeDockerArchive writes the legacy `docker save` format that `docker load` accepts:
// manifest.json, a config named by its digest, and one uncompressed layer.tar holding bin as /hi.
func writeDockerArchive(path, tag, platform, bin string, entrypoint, cmd []string) error {
	prog, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var layer bytes.Buffer
	if err := writeTar(&layer, []tarEntry{{name: "hi", mode: 0o755, data: prog}}); err != nil {
		return err
	}
	layerSum := sha256.Sum256(layer.Bytes())
	parts := strings.Split(platform, "/")
	config := map[string]any{
		"architecture": parts[1],
		"os":           parts[0],
		"created":      "1970-01-01T00:00:00Z",
		"config":       map[string]any{"Entrypoint": entrypoint, "Cmd": cmd},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(layerSum[:])}},
		"history":      []map[string]string{{"created": "1970-01-01T00:00:00Z", "created_by": "COPY hi /hi"}},
	}
	if len(parts) == 3 {
		config["variant"] = parts[2]
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return err
	}
	configSum := sha256.Sum256(configJSON)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := hex.EncodeToString(layerSum[:]) + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{tag}, "Layers": []string{layerName}}})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := writeTar(f, []tarEntry{
		{name: configName, mode: 0o644, data: configJSON},
		{name: hex.EncodeToString(layerSum[:]) + "/", mode: 0o755, dir: true},
		{name: layerName, mode: 0o644, data: layer.Bytes()},
		{name: "manifest.json", mode: 0o644, data: manifest},
	})
	if err := f.Close(); werr == nil {
		werr = err
	}
	return werr
}

type tarEntry struct {
	name string
	mode int64
	data []byte
	dir  bool
}

// writeTar writes entries in order with fixed owners and times.
func writeTar(w io.Writer, entries []tarEntry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	return tw.Close()
}
