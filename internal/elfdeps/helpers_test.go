package elfdeps

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// hostLibDirs are the amd64 host's library directories, in the loader's order.
var hostLibDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib"}

// cross describes a Debian cross toolchain and its runtime sysroot.
type cross struct {
	arch, cc, cxx, sysroot, qemu string
}

var crosses = []cross{
	{"arm64", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++", "/usr/aarch64-linux-gnu", "aarch64"},
	{"armhf", "arm-linux-gnueabihf-gcc", "arm-linux-gnueabihf-g++", "/usr/arm-linux-gnueabihf", "arm"},
	{"riscv64", "riscv64-linux-gnu-gcc", "riscv64-linux-gnu-g++", "/usr/riscv64-linux-gnu", "riscv64"},
}

// src is the absolute path of a source file in testdata.
func src(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// build runs the compiler cc to produce out, skipping the test when cc is
// not installed. The environment is explicit so that the host's CC, CFLAGS
// and LDFLAGS cannot leak in.
func build(t *testing.T, cc, out string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("skipping: compiler %s is not installed", cc)
	}
	cmd := exec.Command(cc, append([]string{"-o", out}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compiling %s with %s: %v\n%s", out, cc, err, b)
	}
	return out
}

// imageFiles is the image root for bin and its closure: bin at /hello.
func imageFiles(bin string, c *Closure) map[string]string {
	files := map[string]string{"/hello": bin}
	for _, f := range c.Files {
		files[f.ImagePath] = f.Source
	}
	return files
}

// canChroot skips the test unless chroot can run a binary of the given
// qemu architecture ("" for the host).
func canChroot(t *testing.T, qemu string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: chroot needs root")
	}
	for _, tool := range []string{"chroot", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s is not installed", tool)
		}
	}
	if qemu == "" {
		return
	}
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-" + qemu)
	flags := ""
	for _, line := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(line, "flags: "); ok {
			flags = f
		}
	}
	if err != nil || !strings.HasPrefix(string(b), "enabled") || !strings.Contains(flags, "F") {
		t.Skipf("skipping: binfmt_misc has no enabled qemu-%s entry with the F flag", qemu)
	}
}

// runInRoot copies files into a fresh root and runs /hello in it with
// chroot, returning its combined output. Like a container runtime, it
// mounts /proc (in a private mount namespace that ends with the process):
// the loaders find the program's $ORIGIN through /proc/self/exe.
func runInRoot(t *testing.T, files map[string]string) (string, error) {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "proc"), 0o555); err != nil {
		t.Fatal(err)
	}
	for img, from := range files {
		dst := filepath.Join(root, img)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, from, dst)
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--mount-proc="+filepath.Join(root, "proc"), chroot, root, "/hello")
	cmd.Env = []string{"PATH=/"}
	b, err := cmd.CombinedOutput()
	return string(b), err
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// listed parses the output of ldd or of a loader's --list into the DT_NEEDED
// name -> real file of every library, and the interpreter's PT_INTERP ->
// real file. Names without a file (the vDSO) are left out.
func listed(t *testing.T, out string) (libs map[string]string, interp [2]string) {
	t.Helper()
	libs = map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.LastIndex(line, " ("); i >= 0 {
			line = line[:i]
		}
		name, file, ok := strings.Cut(line, " => ")
		if !ok {
			name, file = line, line
		}
		if name == "" || !strings.HasPrefix(file, "/") {
			if strings.Contains(line, "not found") {
				t.Fatalf("the loader did not find %s", name)
			}
			continue
		}
		real, err := filepath.EvalSymlinks(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "/") {
			interp = [2]string{name, real}
			continue
		}
		libs[name] = real
	}
	return libs, interp
}

// closureMap is a closure in the shape listed returns: the basename of each
// library's image path -> source, and the interpreter.
func closureMap(c *Closure) (libs map[string]string, interp [2]string) {
	libs = map[string]string{}
	for _, f := range c.Files {
		if f.Role == "interpreter" {
			interp = [2]string{f.ImagePath, f.Source}
			continue
		}
		libs[filepath.Base(f.ImagePath)] = f.Source
	}
	return libs, interp
}

// factsOf is the platform table's row of p.
func factsOf(t testing.TB, p recipe.Platform) recipe.PlatformFacts {
	t.Helper()
	f, ok := p.Facts()
	if !ok {
		t.Fatalf("%s has no row", p)
	}
	return f
}
