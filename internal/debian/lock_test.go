package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
	if _, err := got.Pins("linux/arm64", "libfoo"); err == nil || !strings.Contains(err.Error(), "does not pin libfoo:arm64") || !strings.Contains(err.Error(), RefreshTarget) {
		t.Errorf("unpinned package: %v", err)
	}
	if _, err := got.Pins("linux/riscv64"); err == nil || !strings.Contains(err.Error(), RefreshTarget) {
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
		if err == nil || !strings.Contains(err.Error(), RefreshTarget) {
			t.Errorf("missing file: %v", err)
		}
	})
}

// fakeApt stands for apt-helper and dpkg-deb: download-file writes body
// (or fails with out), everything else fails.
func fakeApt(body []byte, out string, calls *[]string) Run {
	return func(_ context.Context, argv []string, _ string, _ []string) ([]byte, error) {
		*calls = append(*calls, strings.Join(argv, " "))
		if filepath.Base(argv[0]) == "apt-helper" && argv[1] == "download-file" {
			if out != "" {
				return []byte(out), errors.New("exit status 100")
			}
			return []byte("Get:1 " + argv[2] + "\n"), os.WriteFile(argv[3], body, 0o644)
		}
		return nil, errors.New("unexpected command " + argv[0])
	}
}

func TestFetch(t *testing.T) {
	body := []byte("a pinned package")
	p := testPin()
	p.SHA256 = sha256hex(body)
	const gone = "Err:1 http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb\n  404  Not Found [IP: 203.0.113.80 80]\nE: Failed to fetch http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb  404  Not Found [IP: 203.0.113.80 80]\nE: Download Failed\n"
	const offline = "Err:1 http://deb.debian.org/debian/pool/x.deb\n  Could not resolve 'deb.debian.org'\nE: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Could not resolve 'deb.debian.org'\nE: Download Failed\n"

	t.Run("fetched once, then from the cache", func(t *testing.T) {
		cache := t.TempDir()
		var calls []string
		got, err := Fetch(t.Context(), fakeApt(body, "", &calls), cache, p)
		if err != nil || got != DebPath(cache, p) {
			t.Fatalf("Fetch = %s, %v", got, err)
		}
		if want := "/usr/lib/apt/apt-helper download-file " + p.URL; len(calls) != 1 || !strings.HasPrefix(calls[0], want) || !strings.HasSuffix(calls[0], "SHA256:"+p.SHA256) {
			t.Errorf("calls %q, want one %q ... SHA256:<pin>", calls, want)
		}
		if !strings.Contains(calls[0], ".tmp-") {
			t.Errorf("download does not go to a .tmp- file: %s", calls[0])
		}
		if _, err := Fetch(t.Context(), fakeApt(nil, gone, &calls), cache, p); err != nil || len(calls) != 1 {
			t.Errorf("cached file not used offline: %v, calls %q", err, calls)
		}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(got), ".*"))
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
	t.Run("a corrupt cached file is refused and fetched again", func(t *testing.T) {
		cache := t.TempDir()
		os.MkdirAll(filepath.Dir(DebPath(cache, p)), 0o755)
		os.WriteFile(DebPath(cache, p), []byte("tampered"), 0o644)
		var calls []string
		got, err := Fetch(t.Context(), fakeApt(body, "", &calls), cache, p)
		if err != nil || len(calls) != 1 {
			t.Fatalf("Fetch = %v, calls %q", err, calls)
		}
		if data, _ := os.ReadFile(got); string(data) != string(body) {
			t.Errorf("cache holds %q", data)
		}
	})
	t.Run("a corrupt cached file offline is an error, never used", func(t *testing.T) {
		cache := t.TempDir()
		os.MkdirAll(filepath.Dir(DebPath(cache, p)), 0o755)
		os.WriteFile(DebPath(cache, p), []byte("tampered"), 0o644)
		var calls []string
		_, err := Fetch(t.Context(), fakeApt(nil, offline, &calls), cache, p)
		var ge *GoneError
		if !errors.As(err, &ge) || ge.NotFound {
			t.Fatalf("error %v, want a *GoneError without NotFound", err)
		}
		for _, want := range []string{"libc6:arm64 2.36-9+deb12u14", "Could not resolve", "is not in the cache", RefreshTarget, "never fetches another version"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if _, err := os.Stat(DebPath(cache, p)); !os.IsNotExist(err) {
			t.Error("the corrupt file is still in the cache")
		}
	})
	t.Run("pinned file gone", func(t *testing.T) {
		var calls []string
		_, err := Fetch(t.Context(), fakeApt(nil, gone, &calls), t.TempDir(), p)
		var ge *GoneError
		if !errors.As(err, &ge) || !ge.NotFound {
			t.Fatalf("error %v, want a *GoneError with NotFound", err)
		}
		want := "pinned package libc6:arm64 2.36-9+deb12u14 (toolchains/runtime.lock.json) can no longer be fetched: " + p.URL +
			" is gone (404 Not Found; Debian's mirrors drop superseded versions) and is not in the cache"
		if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ": refresh the pins with go tool mage toolchains:lock; fromscratch never fetches another version on its own") {
			t.Errorf("message:\n%s\nwant it to start with:\n%s", err, want)
		}
		if len(calls) != 1 {
			t.Errorf("calls %q: want exactly one download of the pinned URL", calls)
		}
	})
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
