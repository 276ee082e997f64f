package release

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNewFileRef(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := NewFileRef("/hello", p)
	if err != nil {
		t.Fatal(err)
	}
	want := FileRef{
		ImagePath: "/hello", HostPath: p, Size: 3,
		SHA1:   "a9993e364706816aba3e25717850c26c9cd0d89d",
		SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	}
	if got != want {
		t.Errorf("NewFileRef = %+v, want %+v", got, want)
	}
	if _, err := NewFileRef("/x", filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestParseOSRelease(t *testing.T) {
	const bookwormOSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`
	if got, err := ParseOSRelease([]byte(bookwormOSRelease)); err != nil || got != bookworm {
		t.Errorf("ParseOSRelease = %+v, %v; want %+v", got, err, bookworm)
	}
	if _, err := ParseOSRelease([]byte("ID=debian\n")); err == nil {
		t.Error("no error without VERSION_ID")
	}
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		if _, err := ParseOSRelease(data); err != nil {
			t.Errorf("this machine's /etc/os-release: %v", err)
		}
	}
}
