package elfdeps

import (
	"os"
	"path/filepath"
	"testing"
)

// A Memo reads a file once while it stays the same file, and again when
// another file takes its place.
func TestMemo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "prog")
	put := func(src string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		tmp := p + ".new"
		if err := os.WriteFile(tmp, data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
	}
	var m Memo
	put("hello-amd64-dynamic")
	first, err := m.InspectFile(p)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.InspectFile(p)
	if err != nil || again != first {
		t.Fatalf("the same file was read again (%v)", err)
	}
	put("hello-amd64-static")
	changed, err := m.InspectFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if changed == first || !changed.Static() || first.Static() {
		t.Errorf("a replaced file kept its old reading: static %v, first static %v", changed.Static(), first.Static())
	}
	if _, err := m.InspectFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file was read")
	}
	var none *Memo
	if info, err := none.InspectFile(p); err != nil || !info.Static() {
		t.Errorf("a nil Memo does not read: %v", err)
	}
}
