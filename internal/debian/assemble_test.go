package debian

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// member is one entry of a test package's data.tar.
type member struct {
	name string
	typ  byte
	mode int64
	body string // contents, or link target
}

var (
	t1 = time.Date(2023, 1, 5, 13, 20, 0, 0, time.UTC)
	t2 = time.Date(2024, 11, 21, 8, 0, 0, 0, time.UTC)
)

// makeDeb writes a .deb of the members (dated mtime) the way dpkg-deb
// lays one out, with data.tar compressed as comp ("xz", "gz", "zst" or
// ""), and returns its file and its Package.
func makeDeb(t *testing.T, dir, name, comp string, mtime time.Time, members ...member) (string, Package) {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Mode: m.mode, ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatGNU}
		switch m.typ {
		case tar.TypeReg:
			h.Size = int64(len(m.body))
		case tar.TypeSymlink, tar.TypeLink:
			h.Linkname = m.body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == tar.TypeReg {
			tw.Write([]byte(m.body))
		}
	}
	tw.Close()
	var data bytes.Buffer
	var w io.WriteCloser
	switch comp {
	case "xz":
		w, _ = xz.NewWriter(&data)
	case "gz":
		w = gzip.NewWriter(&data)
	case "zst":
		w, _ = zstd.NewWriter(&data)
	default:
		w = nopCloser{&data}
	}
	w.Write(tb.Bytes())
	w.Close()
	member := "data.tar"
	if comp != "" {
		member += "." + comp
	}
	var deb bytes.Buffer
	if err := writeAr(&deb, arMember{"debian-binary", []byte("2.0\n")}, arMember{"control.tar.xz", []byte("x")}, arMember{member, data.Bytes()}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(deb.Bytes())
	p := Package{Name: name, Version: "1.0-1", Architecture: "amd64", Source: name,
		Filename: fmt.Sprintf("pool/main/%c/%s/%s_1.0-1_amd64.deb", name[0], name, name),
		Size:     int64(deb.Len()), SHA256: hex.EncodeToString(sum[:])}
	path := filepath.Join(dir, name+".deb")
	if err := os.WriteFile(path, deb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, p
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type arMember struct {
	Name string
	Data []byte
}

// writeAr writes an ar archive as dpkg-deb does (zero dates and ids).
func writeAr(w io.Writer, members ...arMember) error {
	var b bytes.Buffer
	b.WriteString(arMagic)
	for _, m := range members {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.Name, 0, 0, 0, "100644", len(m.Data))
		b.Write(m.Data)
		if len(m.Data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// testDebs are three small packages in the shapes of bookworm's: files in
// /bin and /lib (merged into /usr), relative links that the move breaks, a
// hard link, a setuid file, base-passwd's masters, mawk and a later
// package replacing a file of an earlier one.
func testDebs(t *testing.T, dir string) ([]string, []Package) {
	t.Helper()
	var files []string
	var pkgs []Package
	add := func(f string, p Package) { files, pkgs = append(files, f), append(pkgs, p) }
	add(makeDeb(t, dir, "base", "xz", t1,
		member{"./", tar.TypeDir, 0o755, ""},
		member{"./bin/", tar.TypeDir, 0o755, ""},
		member{"./bin/dash", tar.TypeReg, 0o755, "#!dash\n"},
		member{"./bin/sh", tar.TypeSymlink, 0o777, "dash"},
		member{"./bin/su", tar.TypeReg, 0o4755, "setuid\n"},
		member{"./lib/x86_64-linux-gnu/libz.so.1", tar.TypeSymlink, 0o777, "../../usr/lib/x86_64-linux-gnu/libz.so.1.2"},
		member{"./lib64/ld-linux-x86-64.so.2", tar.TypeSymlink, 0o777, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
		member{"./usr/lib/x86_64-linux-gnu/libz.so.1.2", tar.TypeReg, 0o644, "zlib\n"},
		member{"./usr/bin/mawk", tar.TypeReg, 0o755, "mawk\n"},
		member{"./usr/bin/mawk-again", tar.TypeLink, 0, "./usr/bin/mawk"},
		member{"./usr/share/base-passwd/passwd.master", tar.TypeReg, 0o644, "root:x:0:0:root:/root:/bin/bash\n"},
		member{"./usr/share/base-passwd/group.master", tar.TypeReg, 0o644, "root:x:0:\n"},
		member{"./tmp/", tar.TypeDir, 0o1777, ""},
		member{"./root/", tar.TypeDir, 0o700, ""}, // only its owner may enter it
		member{"./root/.profile", tar.TypeReg, 0o644, "PATH=/usr/bin\n"},
		member{"./etc/", tar.TypeDir, 0o755, ""},
		member{"./etc/shared.conf", tar.TypeReg, 0o644, "old\n"},
	))
	add(makeDeb(t, dir, "gz-pkg", "gz", t2,
		member{"./etc/shared.conf", tar.TypeReg, 0o644, "new\n"},
		member{"./usr/bin/gcc", tar.TypeReg, 0o755, "gcc\n"},
	))
	add(makeDeb(t, dir, "zst-pkg", "zst", t2,
		member{"./usr/share/zst/readme", tar.TypeReg, 0o644, "zstd\n"},
		member{"./sbin/tool", tar.TypeReg, 0o755, "tool\n"},
	))
	return files, pkgs
}

// TestAssembleUnpackRules: merged /usr, link fixes, hard links, modes
// without setuid, the tar's mtimes, the later package winning, and the
// configuration written after the packages.
func TestAssembleUnpackRules(t *testing.T) {
	dir := t.TempDir()
	debs, _ := testDebs(t, dir)
	root := filepath.Join(dir, "root")
	if err := Assemble(root, debs); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64",
		"usr/bin/sh":                         "dash",
		"usr/lib/x86_64-linux-gnu/libz.so.1": "libz.so.1.2", // was ../../usr/lib/..., from lib/
		"usr/lib64/ld-linux-x86-64.so.2":     "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"usr/bin/awk":                        "mawk", // alternatives
		"usr/bin/cc":                         "gcc",
	}
	for link, want := range links {
		if got, err := os.Readlink(filepath.Join(root, link)); err != nil || got != want {
			t.Errorf("%s -> %q (%v), want %q", link, got, err, want)
		}
	}
	for _, absent := range []string{"bin/su-x", "usr/bin/yacc", "lib32", "usr/bin/c++"} {
		if _, err := os.Lstat(filepath.Join(root, absent)); err == nil {
			t.Errorf("%s exists, though nothing provides it", absent)
		}
	}
	if data, err := os.ReadFile(filepath.Join(root, "usr/lib/x86_64-linux-gnu/libz.so.1")); err != nil || string(data) != "zlib\n" {
		t.Errorf("the fixed link does not reach its file: %q, %v", data, err)
	}
	modes := map[string]fs.FileMode{
		"usr/bin/su": 0o755, "usr/bin/dash": 0o755, "usr/sbin/tool": 0o755,
		"tmp": fs.ModeDir | fs.ModeSticky | 0o777, "etc/passwd": 0o644,
	}
	for p, want := range modes {
		if fi, err := os.Lstat(filepath.Join(root, p)); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode(), err, want)
		}
	}
	mtimes := map[string]time.Time{
		"usr/bin/dash": t1, "usr/bin/sh": t1, "usr/sbin/tool": t2, "tmp": t1,
		"etc/passwd":  t2, // the newest package's date
		"usr/bin/awk": t2, "bin": t2, "usr/share/zst": t2,
	}
	for p, want := range mtimes {
		if fi, err := os.Lstat(filepath.Join(root, p)); err != nil || !fi.ModTime().Equal(want) {
			t.Errorf("%s: mtime %v (%v), want %v", p, fi.ModTime(), err, want)
		}
	}
	a, _ := os.Stat(filepath.Join(root, "usr/bin/mawk"))
	b, _ := os.Stat(filepath.Join(root, "usr/bin/mawk-again"))
	if !os.SameFile(a, b) {
		t.Error("the hard link is a copy")
	}
	files := map[string]string{
		"etc/shared.conf": "new\n", // the later package wins
		"etc/passwd":      "root:x:0:0:root:/root:/bin/bash\nbuild:x:1000:1000:fromscratch build:/tmp:/bin/sh\n",
		"etc/group":       "root:x:0:\nbuild:x:1000:\n",
	}
	for p, want := range files {
		if data, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(data) != want {
			t.Errorf("%s = %q (%v), want %q", p, data, err, want)
		}
	}
}

func TestAssembleRefusesEscapes(t *testing.T) {
	for name, m := range map[string]member{
		"dot-dot":   {"./usr/../../etc/x", tar.TypeReg, 0o644, "x"},
		"hard link": {"./usr/x", tar.TypeLink, 0, "../../etc/passwd"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			deb, _ := makeDeb(t, dir, "bad", "xz", t1, m)
			err := Assemble(filepath.Join(dir, "root"), []string{deb})
			if err == nil || !strings.Contains(err.Error(), "bad.deb") {
				t.Fatalf("Assemble = %v, want an error naming bad.deb", err)
			}
		})
	}
	// A file under a package's symlink to a directory would be written
	// wherever the link points (the host, for an absolute one).
	dir := t.TempDir()
	deb, _ := makeDeb(t, dir, "through", "xz", t1,
		member{"./usr/share/out", tar.TypeSymlink, 0o777, "/"},
		member{"./usr/share/out/owned", tar.TypeReg, 0o644, "x"})
	if err := Assemble(filepath.Join(dir, "root"), []string{deb}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("Assemble through a symlink = %v", err)
	}
	if _, err := os.Lstat("/owned"); err == nil {
		t.Fatal("a file was written through the symlink")
	}
}

// treeDigest covers every path, mode, link target, content and mtime
// under root.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		nlink := uint64(1)
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() {
			nlink = st.Nlink
		}
		fmt.Fprintf(h, "%s %v %d %d\n", rel, fi.Mode(), fi.ModTime().UnixNano(), nlink)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(h, "-> %s\n", target)
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%x\n", sha256.Sum256(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestAssembleIsReproducible(t *testing.T) {
	dir := t.TempDir()
	debs, _ := testDebs(t, dir)
	var digests []string
	for _, name := range []string{"one", "two"} {
		root := filepath.Join(dir, name)
		if err := Assemble(root, debs); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, treeDigest(t, root))
	}
	if digests[0] != digests[1] {
		t.Fatalf("two assemblies differ: %s, %s", digests[0], digests[1])
	}
	if err := os.WriteFile(filepath.Join(dir, "two", "etc", "hosts"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if treeDigest(t, filepath.Join(dir, "two")) == digests[0] {
		t.Fatal("the tree digest does not see a changed file")
	}
}

func TestOpenDataRejectsNonDebs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.deb")
	os.WriteFile(p, []byte("<html>not found</html>"), 0o644)
	if _, err := openData(p); err == nil || !strings.Contains(err.Error(), "not a .deb") {
		t.Fatalf("openData = %v", err)
	}
}
