package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var testNote = PackageNote{Name: "hello", Version: "0+src.0123456789ab", Architecture: "arm64",
	OS: "debian", OSVersion: "12", DebianSource: "hello", DebianSourceVersion: "2.10-3"}

// The checked-in programs of every machine (both ELF classes), static and
// dynamic, get the note; nothing the loader or a reader of the original
// sections sees changes, and the note reads back.
func TestAddPackageNote(t *testing.T) {
	payload, err := testNote.Payload()
	if err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join("testdata", "hello-*"))
	if len(names) < 8 {
		t.Fatalf("testdata holds %d programs, want the 9 of its README", len(names))
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			orig, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "prog")
			if err := os.WriteFile(p, orig, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := AddPackageNote(p, payload); err != nil {
				t.Fatal(err)
			}
			noted, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadPackageNote(bytes.NewReader(noted))
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("ReadPackageNote = %q, %v; want %q", got, err, payload)
			}
			var back PackageNote
			if err := json.Unmarshal(got, &back); err != nil || back != testNote {
				t.Errorf("the note reads back as %+v (%v)", back, err)
			}
			sameELF(t, orig, noted)
			if st, _ := os.Stat(p); st.Mode().Perm() != 0o755 {
				t.Errorf("mode after the note: %v", st.Mode())
			}
			// The same input gives the same bytes; a second note is refused.
			again := filepath.Join(t.TempDir(), "prog")
			os.WriteFile(again, orig, 0o755)
			if err := AddPackageNote(again, payload); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(again); !bytes.Equal(b, noted) {
				t.Error("two notes of the same program differ")
			}
			if err := AddPackageNote(p, payload); err == nil || !strings.Contains(err.Error(), "already has") {
				t.Errorf("a second note: %v", err)
			}
			if grown := len(noted) - len(orig); grown <= 0 || grown > len(payload)+200 {
				t.Errorf("the note added %d bytes for a %d-byte payload", grown, len(payload))
			}
		})
	}
}

// sameELF checks that every original section keeps its name, header and
// bytes, the program headers and every byte the segments load are the
// same, and Inspect says the same.
func sameELF(t *testing.T, orig, noted []byte) {
	t.Helper()
	a, err := elf.NewFile(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	b, err := elf.NewFile(bytes.NewReader(noted))
	if err != nil {
		t.Fatalf("the noted file does not parse: %v", err)
	}
	if len(b.Sections) != len(a.Sections)+1 || b.Sections[len(a.Sections)].Name != PackageNoteSection {
		t.Fatalf("sections: %d then %d, last %q", len(a.Sections), len(b.Sections), b.Sections[len(b.Sections)-1].Name)
	}
	for i, s := range a.Sections {
		n := b.Sections[i]
		if n.Name != s.Name || n.Type != s.Type || n.Flags != s.Flags || n.Addr != s.Addr {
			t.Errorf("section %d: %+v, was %+v", i, n.SectionHeader, s.SectionHeader)
		}
		if s.Type == elf.SHT_NOBITS {
			continue
		}
		x, _ := s.Data()
		y, _ := n.Data()
		if s.Name != ".shstrtab" && !bytes.Equal(x, y) {
			t.Errorf("section %s changed", s.Name)
		}
	}
	for i, p := range a.Progs {
		if !reflect.DeepEqual(p.ProgHeader, b.Progs[i].ProgHeader) {
			t.Errorf("program header %d: %+v, was %+v", i, b.Progs[i].ProgHeader, p.ProgHeader)
		}
		if p.Type != elf.PT_LOAD {
			continue
		}
		for off := p.Off; off < p.Off+p.Filesz; off++ {
			if orig[off] != noted[off] && !headerField(a.Class, off) {
				t.Errorf("byte %#x of segment %d changed", off, i)
				break
			}
		}
	}
	ia, err := Inspect(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := Inspect(bytes.NewReader(noted))
	if err != nil || !reflect.DeepEqual(ia, ib) {
		t.Errorf("Inspect: %+v (%v), was %+v", ib, err, ia)
	}
}

// The noted static amd64 program still runs, and binutils' readelf shows
// the note as systemd's package metadata.
func TestPackageNoteRunsAndReadelfReadsIt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hello")
	orig, err := os.ReadFile(filepath.Join("testdata", "hello-amd64-static"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, orig, 0o755)
	payload, _ := testNote.Payload()
	if err := AddPackageNote(p, payload); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(p).Output()
	if err != nil || string(out) != "hello from C\n" {
		t.Errorf("the noted program printed %q: %v", out, err)
	}
	readelf, err := exec.LookPath("readelf")
	if err != nil {
		t.Skip("readelf is not installed (binutils)")
	}
	out, err = exec.Command(readelf, "--notes", p).CombinedOutput()
	if err != nil {
		t.Fatalf("readelf --notes: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), ".note.package") || !strings.Contains(string(out), "FDO") ||
		!strings.Contains(string(out), `"debianSource":"hello"`) && !strings.Contains(string(out), "Packaging Metadata") {
		t.Errorf("readelf --notes does not show the package note:\n%s", out)
	}
}

// headerField says whether off is in e_shoff or e_shnum, the fields of the
// ELF header that the note changes.
func headerField(c elf.Class, off uint64) bool {
	if c == elf.ELFCLASS64 {
		return off >= 0x28 && off < 0x30 || off >= 0x3c && off < 0x3e
	}
	return off >= 0x20 && off < 0x24 || off >= 0x30 && off < 0x32
}
