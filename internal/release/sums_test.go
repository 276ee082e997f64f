package release

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sumsTree has names whose byte order differs from WalkDir's order:
// WalkDir visits a/z before a-b, byte order puts "a-b" < "a.txt" < "a/z".
var sumsTree = map[string]string{
	"a/z":                         "z\n",
	"a-b":                         "dash\n",
	"a.txt":                       "hello\n",
	"images/hello/app.tar":        "tar bytes",
	"images/hello/sbom.spdx.json": "{}\n",
	"sub/deeper/empty":            "",
}

func TestWriteSHA256SUMS(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, sumsTree)
	if err := WriteSHA256SUMS(root); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(root, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, first)

	var paths []string
	for _, line := range strings.Split(strings.TrimSuffix(string(first), "\n"), "\n") {
		_, p, _ := strings.Cut(line, "  ")
		paths = append(paths, p)
	}
	want := []string{"a-b", "a.txt", "a/z", "images/hello/app.tar", "images/hello/sbom.spdx.json", "sub/deeper/empty"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}

	t.Run("is reproducible", func(t *testing.T) {
		// The second run sees the first SHA256SUMS and must leave it out.
		if err := WriteSHA256SUMS(root); err != nil {
			t.Fatal(err)
		}
		second, err := os.ReadFile(filepath.Join(root, SumsFile))
		if err != nil {
			t.Fatal(err)
		}
		if string(second) != string(first) {
			t.Errorf("second run differs:\n%s\nfirst:\n%s", second, first)
		}
	})
	t.Run("mode and no leftovers", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(root, SumsFile))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
		}
		if tmp, _ := filepath.Glob(filepath.Join(root, "."+SumsFile+"-*")); len(tmp) > 0 {
			t.Errorf("temporary files left behind: %v", tmp)
		}
	})
	t.Run("verifies", func(t *testing.T) {
		if err := VerifySHA256SUMS(root); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifySHA256SUMSDetectsChanges(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, sumsTree)
	if err := WriteSHA256SUMS(root); err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{"a/z": "changed\n", "new/extra.txt": "x"})
	if err := os.Remove(filepath.Join(root, "sub", "deeper", "empty")); err != nil {
		t.Fatal(err)
	}
	err := VerifySHA256SUMS(root)
	var verr *VerifyError
	if !errors.As(err, &verr) {
		t.Fatalf("VerifySHA256SUMS = %v, want a *VerifyError", err)
	}
	want := &VerifyError{Mismatched: []string{"a/z"}, Missing: []string{"sub/deeper/empty"}, Extra: []string{"new/extra.txt"}}
	if !reflect.DeepEqual(verr, want) {
		t.Errorf("got %+v, want %+v", verr, want)
	}
	msg := err.Error()
	for _, s := range []string{"mismatched: a/z", "missing: sub/deeper/empty", "extra: new/extra.txt"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %q", msg, s)
		}
	}
}

func TestSHA256SUMSRejectsSymlinks(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, sumsTree)
	if err := WriteSHA256SUMS(root); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../a.txt", filepath.Join(root, "images", "link.txt")); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(string) error{"Write": WriteSHA256SUMS, "Verify": VerifySHA256SUMS} {
		err := f(root)
		if err == nil || !strings.Contains(err.Error(), "images/link.txt") || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("%s with a symlink: error = %v, want one naming images/link.txt as a symlink", name, err)
		}
	}
}

func TestSHA256SUMSRootSymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	writeTree(t, target, map[string]string{"f": "x"})
	link := filepath.Join(dir, "out")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteSHA256SUMS(link); err != nil {
		t.Fatal(err)
	}
	if err := VerifySHA256SUMS(link); err != nil {
		t.Fatal(err)
	}
}

func TestVerifySHA256SUMSRejectsMalformed(t *testing.T) {
	for name, content := range map[string]string{
		"one space": strings.Repeat("a", 64) + " f\n",
		"short hex": "abc  f\n",
		"uppercase": strings.Repeat("A", 64) + "  f\n",
		"duplicate": strings.Repeat("a", 64) + "  f\n" + strings.Repeat("b", 64) + "  f\n",
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"f": "x", SumsFile: content})
			err := VerifySHA256SUMS(root)
			if err == nil || !strings.Contains(err.Error(), "parsing "+SumsFile) {
				t.Errorf("error = %v, want a parse error", err)
			}
		})
	}
}

func TestVerifySHA256SUMSWithoutFile(t *testing.T) {
	if err := VerifySHA256SUMS(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want os.ErrNotExist", err)
	}
}
