package debian

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testPin() Pin {
	return Pin{
		Name: "libc6", Version: "2.36-9+deb12u14", Architecture: "arm64", Source: "glibc",
		Filename: "pool/main/g/glibc/libc6_2.36-9+deb12u14_arm64.deb",
		URL:      "http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb",
		Size:     2324660, SHA256: "01f4330719fd4f65580e16ea5a0527f372fca750e8f588d26deaf09f2d3b1cf4",
	}
}

func testLock() *LockFile {
	return &LockFile{Schema: LockSchema, Suite: "bookworm", Note: "test", Platforms: []PlatformLock{
		{Platform: "linux/arm64", Arch: "arm64", Packages: []Pin{testPin()}},
		{Platform: "linux/riscv64", RuntimeNote: "bookworm has no riscv64 port"},
	}}
}

func TestLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toolchains", LockFileName)
	if err := WriteLock(path, testLock()); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	got, err := ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	pins, err := got.Pins("linux/arm64", "libc6")
	if err != nil || len(pins) != 1 || pins[0] != testPin() {
		t.Fatalf("Pins = %v, %v", pins, err)
	}
	if err := WriteLock(path, got); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(path); string(second) != string(first) {
		t.Errorf("rewriting changed the file:\n%s\n%s", first, second)
	}
	if _, err := got.Pins("linux/arm64", "libfoo"); err == nil || !strings.Contains(err.Error(), "does not pin libfoo:arm64") || !strings.Contains(err.Error(), RefreshTarget()) {
		t.Errorf("unpinned package: %v", err)
	}
	if _, err := got.Pins("linux/riscv64"); err == nil || !strings.Contains(err.Error(), RefreshTarget()) {
		t.Errorf("platform without arch: %v", err)
	}
}

// TestLockValidation: every problem names the file and the field.
func TestLockValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(*LockFile)
		want   string
	}{
		{"bad sha256", func(l *LockFile) { l.Platforms[0].Packages[0].SHA256 = "01F4" }, `toolchains/runtime.lock.json: platforms[0].packages[0].sha256: "01F4" is not 64 lowercase hex digits`},
		{"missing version", func(l *LockFile) { l.Platforms[0].Packages[0].Version = "" }, "toolchains/runtime.lock.json: platforms[0].packages[0].version:"},
		{"missing url", func(l *LockFile) { l.Platforms[0].Packages[0].URL = "" }, "platforms[0].packages[0].url:"},
		{"bad filename", func(l *LockFile) { l.Platforms[0].Packages[0].Filename = "../x.deb" }, "platforms[0].packages[0].filename:"},
		{"zero size", func(l *LockFile) { l.Platforms[0].Packages[0].Size = 0 }, "platforms[0].packages[0].size:"},
		{"other arch", func(l *LockFile) { l.Platforms[0].Packages[0].Architecture = "armhf" }, "platforms[0].packages[0].architecture:"},
		{"pinned twice", func(l *LockFile) { l.Platforms[0].Packages = append(l.Platforms[0].Packages, testPin()) }, "platforms[0].packages[1].name:"},
		{"no note", func(l *LockFile) { l.Platforms[1].RuntimeNote = "" }, "platforms[1].runtime_note: missing"},
		{"no packages", func(l *LockFile) { l.Platforms[0].Packages = nil }, "platforms[0].packages: missing"},
		{"platform twice", func(l *LockFile) { l.Platforms[1].Platform = "linux/arm64" }, "platforms[1].platform:"},
		{"schema", func(l *LockFile) { l.Schema = 7 }, "schema: 7 is not 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := testLock()
			tc.change(l)
			data, err := l.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "toolchains", LockFileName)
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, data, 0o644)
			_, err = ReadLock(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadLock error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			if err := WriteLock(path, l); err == nil {
				t.Error("WriteLock wrote an invalid lock")
			}
		})
	}
	t.Run("unknown field", func(t *testing.T) {
		_, err := ParseLock([]byte(`{"schema":1,"suite":"bookworm","platforms":[],"colour":"red"}`), "toolchains/runtime.lock.json")
		if err == nil || !strings.Contains(err.Error(), "toolchains/runtime.lock.json") || !strings.Contains(err.Error(), "colour") {
			t.Errorf("unknown field: %v", err)
		}
	})
	t.Run("missing file names the refresh target", func(t *testing.T) {
		_, err := ReadLock(filepath.Join(t.TempDir(), LockFileName))
		if err == nil || !strings.Contains(err.Error(), RefreshTarget()) {
			t.Errorf("missing file: %v", err)
		}
	})
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
