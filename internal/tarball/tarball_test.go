package tarball_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/tarball"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

func TestExtract(t *testing.T) {
	raw := testutil.Tar(t,
		testutil.TarEntry{Name: "proj-1.0/", Type: tar.TypeDir, Mode: 0o777},
		testutil.TarEntry{Name: "proj-1.0/configure", Body: "#!/bin/sh\n", Type: tar.TypeReg, Mode: 0o6775},
		testutil.TarFile("proj-1.0/src/main.c", "int main;\n"),
		testutil.TarEntry{Name: "proj-1.0/src/link.c", Link: "main.c", Type: tar.TypeSymlink},
		testutil.TarEntry{Name: "proj-1.0/src/hard.c", Link: "proj-1.0/src/main.c", Type: tar.TypeLink},
		testutil.TarEntry{Name: "pax", Type: tar.TypeXGlobalHeader},
	)
	check := func(t *testing.T, dir string) {
		t.Helper()
		tree := testutil.ReadTree(t, dir)
		if string(tree["configure"]) != "#!/bin/sh\n" || string(tree["src/main.c"]) != "int main;\n" ||
			string(tree["src/link.c"]) != "int main;\n" || string(tree["src/hard.c"]) != "int main;\n" {
			t.Errorf("tree = %q", tree)
		}
		for rel, want := range map[string]os.FileMode{"configure": 0o755, "src/main.c": 0o644, "src": 0o755 | os.ModeDir, ".": 0o755 | os.ModeDir} {
			st, err := os.Stat(filepath.Join(dir, rel))
			if err != nil || st.Mode() != want {
				t.Errorf("%s: mode %v, want %v (%v)", rel, st.Mode(), want, err)
			}
		}
		if st, _ := os.Stat(filepath.Join(dir, "configure")); !st.ModTime().Equal(testutil.TarTime) {
			t.Errorf("mtime %v, want the archive's %v", st.ModTime(), testutil.TarTime)
		}
	}
	for name, data := range map[string][]byte{"tar": raw, "tar.gz": testutil.Gzip(t, raw), "tar.xz": testutil.XZ(t, raw)} {
		t.Run(name, func(t *testing.T) {
			arch := testutil.WriteFile(t, filepath.Join(t.TempDir(), "src."+name), data)
			dest := filepath.Join(t.TempDir(), "tree")
			if err := tarball.Extract(arch, dest, 1); err != nil {
				t.Fatal(err)
			}
			check(t, dest)
		})
	}
	t.Run("tar.bz2", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "tree")
		if err := tarball.Extract("testdata/proj-1.0.tar.bz2", dest, 1); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(filepath.Join(dest, "run.sh")); err != nil || st.Mode() != 0o755 {
			t.Errorf("run.sh (setuid in the archive): %v %v", st.Mode(), err)
		}
		if b, _ := os.ReadFile(filepath.Join(dest, "src", "a.txt")); string(b) != "hello from bzip2\n" {
			t.Errorf("a.txt = %q", b)
		}
	})
	t.Run("strip 0 and 2", func(t *testing.T) {
		arch := testutil.WriteFile(t, filepath.Join(t.TempDir(), "src.tar"), raw)
		d0 := filepath.Join(t.TempDir(), "t")
		if err := tarball.Extract(arch, d0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(d0, "proj-1.0", "src", "main.c")); err != nil {
			t.Error(err)
		}
		d2 := filepath.Join(t.TempDir(), "t")
		if err := tarball.Extract(arch, d2, 2); err != nil {
			t.Fatal(err)
		}
		// Hard link names are stripped like entry names.
		tree := testutil.ReadTree(t, d2)
		if len(tree) != 3 || string(tree["hard.c"]) != "int main;\n" || string(tree["link.c"]) != "int main;\n" {
			t.Errorf("strip 2: %q", tree)
		}
	})
	t.Run("dest exists", func(t *testing.T) {
		arch := testutil.WriteFile(t, filepath.Join(t.TempDir(), "src.tar"), raw)
		if err := tarball.Extract(arch, t.TempDir(), 1); err == nil || !strings.Contains(err.Error(), "exists already") {
			t.Errorf("error = %v", err)
		}
	})
}

// unsafeEntries are archives (after a harmless p/ok.c) that every way in
// refuses.
var unsafeEntries = []struct {
	name    string
	entries []testutil.TarEntry
	want    string
}{
	{"dot-dot", []testutil.TarEntry{testutil.TarFile("p/../../evil", "x")}, `"p/../../evil" has a ".." element`},
	{"absolute", []testutil.TarEntry{testutil.TarFile("/etc/evil", "x")}, `"/etc/evil" has an absolute name`},
	{"symlink absolute", []testutil.TarEntry{{Name: "p/l", Link: "/etc/passwd", Type: tar.TypeSymlink}}, `is a symlink to the absolute path "/etc/passwd"`},
	{"symlink out", []testutil.TarEntry{{Name: "p/a/l", Link: "../../x", Type: tar.TypeSymlink}}, `is a symlink to "../../x", outside the tree`},
	{"write through a symlink", []testutil.TarEntry{{Name: "p/d", Link: ".", Type: tar.TypeSymlink}, testutil.TarFile("p/d/f", "x")}, "goes through the symlink d"},
	{"symlink chain out", []testutil.TarEntry{
		{Name: "p/a/b", Link: ".", Type: tar.TypeSymlink},
		{Name: "p/x", Link: "a/b/../..", Type: tar.TypeSymlink}}, ""},
	{"hardlink out", []testutil.TarEntry{{Name: "p/h", Link: "../etc/passwd", Type: tar.TypeLink}}, `is a hard link to "../etc/passwd", outside the tree`},
	{"hardlink to absolute", []testutil.TarEntry{{Name: "p/h", Link: "/etc/passwd", Type: tar.TypeLink}}, `is a hard link to "/etc/passwd", outside the tree`},
	{"hardlink to nothing", []testutil.TarEntry{{Name: "p/h", Link: "p/nothing", Type: tar.TypeLink}}, "not a regular file extracted before it"},
	{"char device", []testutil.TarEntry{{Name: "p/null", Type: tar.TypeChar}}, "is a device file"},
	{"block device", []testutil.TarEntry{{Name: "p/sda", Type: tar.TypeBlock}}, "is a device file"},
	{"fifo", []testutil.TarEntry{{Name: "p/fifo", Type: tar.TypeFifo}}, "is a fifo"},
}

// TestExtractRefuses: each unsafe entry refuses the archive, and leaves no
// tree and no temporary folder.
func TestExtractRefuses(t *testing.T) {
	for _, tt := range unsafeEntries {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			arch := testutil.WriteFile(t, filepath.Join(dir, "bad.tar.gz"), testutil.Gzip(t, testutil.Tar(t, append([]testutil.TarEntry{testutil.TarFile("p/ok.c", "x")}, tt.entries...)...)))
			dest := filepath.Join(dir, "out", "tree")
			err := tarball.Extract(arch, dest, 1)
			var ue *tarball.UnsafeEntryError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is not an *UnsafeEntryError", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad.tar.gz") {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if _, err := os.Lstat(dest); !os.IsNotExist(err) {
				t.Error("a tree was left")
			}
			if tmp := testutil.TempNames(dir); len(tmp) > 0 {
				t.Errorf("left behind: %q", tmp)
			}
			if _, err := os.Lstat(filepath.Join(dir, "out", "evil")); !os.IsNotExist(err) {
				t.Error("an entry escaped")
			}
		})
	}
}

// TestUnpackRefuses: Unpack, into a folder that exists, refuses the same
// entries, and writes nothing outside it.
func TestUnpackRefuses(t *testing.T) {
	for _, tt := range unsafeEntries {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "a", "b")
			_, err := tarball.Unpack(bytes.NewReader(testutil.Tar(t, append([]testutil.TarEntry{testutil.TarFile("p/ok.c", "x")}, tt.entries...)...)), "bad.tar", dest, 1)
			var ue *tarball.UnsafeEntryError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad.tar") {
				t.Fatalf("error %v is not an *UnsafeEntryError saying %q", err, tt.want)
			}
			for _, p := range []string{"evil", "etc", "x", "a/evil", "a/x"} {
				if _, err := os.Lstat(filepath.Join(dir, p)); !os.IsNotExist(err) {
					t.Errorf("%s escaped", p)
				}
			}
		})
	}
}

// TestUnpackOverEarlier: an archive unpacked over another replaces its
// files and links and never writes through a link the first one left.
func TestUnpackOverEarlier(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "deps")
	outside := testutil.WriteFile(t, filepath.Join(dir, "outside.txt"), []byte("keep"))
	first := testutil.Tar(t,
		testutil.TarFile("usr/lib/libz.so.1", "old"),
		testutil.TarEntry{Name: "usr/lib/libz.so", Link: "libz.so.1", Type: tar.TypeSymlink},
		testutil.TarEntry{Name: "usr/lib/victim", Link: "libz.so.1", Type: tar.TypeSymlink})
	names, err := tarball.Unpack(bytes.NewReader(first), "first.tar", dest, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "usr/lib/libz.so,usr/lib/libz.so.1,usr/lib/victim" {
		t.Errorf("names = %s", got)
	}
	second := testutil.Tar(t,
		testutil.TarEntry{Name: "usr/lib/libz.so.1", Body: "new", Type: tar.TypeReg, Mode: 0o755},
		testutil.TarFile("usr/lib/victim", "mine"))
	if _, err := tarball.Unpack(bytes.NewReader(testutil.Gzip(t, second)), "second.tar.gz", dest, 0); err != nil {
		t.Fatal(err)
	}
	tree := testutil.ReadTree(t, dest)
	if string(tree["usr/lib/libz.so.1"]) != "new" || string(tree["usr/lib/libz.so"]) != "new" || string(tree["usr/lib/victim"]) != "mine" {
		t.Errorf("tree = %q", tree)
	}
	if st, err := os.Lstat(filepath.Join(dest, "usr", "lib", "victim")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("victim is not a file of its own: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("outside.txt = %q", b)
	}
}

// TestUnpackRoot: a link that an earlier archive left pointing outside
// dest (as no archive may) is still not followed: the os.Root holds.
func TestUnpackRoot(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "dest")
	os.MkdirAll(dest, 0o755)
	os.Mkdir(filepath.Join(dir, "elsewhere"), 0o755)
	if err := os.Symlink("../elsewhere", filepath.Join(dest, "lib")); err != nil {
		t.Fatal(err)
	}
	_, err := tarball.Unpack(bytes.NewReader(testutil.Tar(t, testutil.TarFile("lib/evil", "x"))), "x.tar", dest, 0)
	if err == nil {
		t.Fatal("an entry went through a link out of dest")
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere", "evil")); !os.IsNotExist(err) {
		t.Error("evil was written outside dest")
	}
}

// TestWrite: a folder packs into the same bytes twice, with sorted names,
// fixed modes and the given time, and comes back with its links.
func TestWrite(t *testing.T) {
	stage := t.TempDir()
	os.MkdirAll(filepath.Join(stage, "usr", "lib"), 0o700)
	os.MkdirAll(filepath.Join(stage, "usr", "include"), 0o755)
	os.WriteFile(filepath.Join(stage, "usr", "lib", "libz.so.1.2.13"), []byte("elf"), 0o700)
	os.Symlink("libz.so.1.2.13", filepath.Join(stage, "usr", "lib", "libz.so.1"))
	os.WriteFile(filepath.Join(stage, "usr", "include", "zlib.h"), []byte("h"), 0o600)
	date := time.Date(2024, 1, 1, 0, 0, 0, 500, time.FixedZone("x", 3600))
	a, b := filepath.Join(t.TempDir(), "a.tar"), filepath.Join(t.TempDir(), "b.tar")
	for _, p := range []string{a, b} {
		if err := tarball.Write(stage, p, date); err != nil {
			t.Fatal(err)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("two packs of one folder differ")
	}
	var got []string
	tr := tar.NewReader(bytes.NewReader(da))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, h.Name+" "+strings.TrimPrefix(os.FileMode(h.Mode).String(), "-")+" "+h.ModTime.UTC().Format(time.RFC3339)+" "+h.Linkname)
	}
	want := []string{
		"usr/ rwxr-xr-x 2023-12-31T23:00:00Z ",
		"usr/include/ rwxr-xr-x 2023-12-31T23:00:00Z ",
		"usr/include/zlib.h rw-r--r-- 2023-12-31T23:00:00Z ",
		"usr/lib/ rwxr-xr-x 2023-12-31T23:00:00Z ",
		"usr/lib/libz.so.1 rwxrwxrwx 2023-12-31T23:00:00Z libz.so.1.2.13",
		"usr/lib/libz.so.1.2.13 rwxr-xr-x 2023-12-31T23:00:00Z ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The bytes of this layout, pinned: a change to Write shows here.
	if sum := sha256.Sum256(da); hex.EncodeToString(sum[:]) != pinnedWrite {
		t.Errorf("sha256 %x, pinned %s", sum, pinnedWrite)
	}
	dest := filepath.Join(t.TempDir(), "deps")
	f, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := tarball.Unpack(f, "a.tar", dest, 0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "usr/include/zlib.h,usr/lib/libz.so.1,usr/lib/libz.so.1.2.13" {
		t.Errorf("Unpack reported %v", names)
	}
	if l, err := os.Readlink(filepath.Join(dest, "usr", "lib", "libz.so.1")); err != nil || l != "libz.so.1.2.13" {
		t.Errorf("symlink: %q %v", l, err)
	}
}

const pinnedWrite = "b6267f63de360e31d3ec8d0640e46bea6e17a216a59e6692cea10ed10fedd188"

// TestPlainTarNamedLikeBzip2: a plain tar whose first name begins with
// bzip2's magic is still read as a plain tar.
func TestPlainTarNamedLikeBzip2(t *testing.T) {
	dest := t.TempDir()
	names, err := tarball.Unpack(bytes.NewReader(testutil.Tar(t, testutil.TarFile("BZh91AY", "x"))), "plain.tar", dest, 0)
	if err != nil || strings.Join(names, ",") != "BZh91AY" {
		t.Fatalf("names %v, error %v", names, err)
	}
}
