package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDebLicenses(t *testing.T) {
	rt, root, outside := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(dir, rel, data string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dep5 := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: Expat\n\nFiles: debian/*\nCopyright: y\nLicense: GPL-2+\n"
	write(rt, "usr/share/doc/zlib1g/copyright", dep5)
	write(root, "usr/share/doc/zlib1g/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: z\nLicense: Zlib\n")
	write(root, "usr/share/doc/gcc-12-base/copyright", "This is the Debian GNU/Linux prepackaged version of the GNU compiler collection\n")
	os.Symlink("gcc-12-base", filepath.Join(root, "usr/share/doc/libgcc-s1"))
	write(outside, "copyright", dep5)
	os.MkdirAll(filepath.Join(root, "usr/share/doc/evil"), 0o755)
	os.Symlink(filepath.Join(outside, "copyright"), filepath.Join(root, "usr/share/doc/evil/copyright"))

	lic := DebLicenses(rt, root)
	if l := lic("zlib1g:amd64"); l.Expr != "MIT" || l.Problem != "" { // the runtime's copy first; debian/* is the packaging
		t.Errorf("zlib1g: %+v", l)
	}
	if l := lic("libgcc-s1"); l.Known() || !strings.Contains(l.Problem, "not in Debian's machine-readable copyright format") {
		t.Errorf("libgcc-s1 (through its doc symlink): %+v", l)
	}
	if l := lic("evil"); l.Known() || l.Problem == "" {
		t.Errorf("a copyright symlinked out of the root was read: %+v", l)
	}
	if l := lic("nothing"); l.Known() || !strings.Contains(l.Problem, "no /usr/share/doc/nothing/copyright") {
		t.Errorf("a package without a copyright file: %+v", l)
	}
}
