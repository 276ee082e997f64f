package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// PackageNoteSection is the section of the ELF package note: a note
// named "FDO" of type PackageNoteType whose descriptor is a JSON object
// (https://systemd.io/ELF_PACKAGE_METADATA/), which scanners (syft, grype)
// and systemd-coredump read.
const (
	PackageNoteSection = ".note.package"
	PackageNoteType    = 0xcafe1a7e
	packageNoteOwner   = "FDO"
)

// PackageNote is the JSON object of a package note. The first fields are
// systemd's; the rest are fromscratch's own, which readers ignore.
type PackageNote struct {
	Type         string `json:"type,omitempty"` // "deb", "rpm", ...; empty: not a distribution's package
	Name         string `json:"name"`
	Version      string `json:"version"`
	Architecture string `json:"architecture,omitempty"` // Debian's name: amd64, arm64, armhf, riscv64
	OS           string `json:"os,omitempty"`
	OSVersion    string `json:"osVersion,omitempty"`
	OSCPE        string `json:"osCpe,omitempty"`
	License      string `json:"license,omitempty"` // an SPDX expression
	PURL         string `json:"purl,omitempty"`
	SourceRepo   string `json:"sourceRepo,omitempty"`
	// DebianSource and DebianSourceVersion name the Debian source
	// package the program was built from, when there is one.
	DebianSource        string `json:"debianSource,omitempty"`
	DebianSourceVersion string `json:"debianSourceVersion,omitempty"`
}

// Payload is the note's JSON: compact, fields in declaration order, no
// HTML escaping, so the same note gives the same bytes.
func (n PackageNote) Payload() ([]byte, error) {
	if n.Name == "" || n.Version == "" {
		return nil, fmt.Errorf("package note %+v: name and version are required", n)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// AddPackageNote adds a .note.package section holding payload to the ELF
// file at path, as `objcopy --add-section` would: a non-allocated SHT_NOTE
// section (the loader never sees it), the section-name table and the
// section headers rewritten after it. When the section headers (and the
// name table before them) end the file, as linkers write them, they are
// replaced rather than left behind as dead bytes. The output is a function
// of the input and payload; the file is rewritten in place. A file that
// already has the section, or has no section headers, is refused.
func AddPackageNote(path string, payload []byte) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("adding a package note: %w", err)
	}
	out, err := withPackageNote(data, payload)
	if err != nil {
		return fmt.Errorf("adding a package note to %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp := path + ".note-tmp"
	if err := os.WriteFile(tmp, out, st.Mode().Perm()); err != nil {
		return fmt.Errorf("adding a package note to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("adding a package note to %s: %w", path, err)
	}
	return nil
}

// ReadPackageNote returns the JSON descriptor of the package note of the
// ELF file r, or nil when it has none.
func ReadPackageNote(r io.ReaderAt) ([]byte, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	s := f.Section(PackageNoteSection)
	if s == nil {
		return nil, nil
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", PackageNoteSection, err)
	}
	order := f.ByteOrder
	if len(data) < 12 {
		return nil, fmt.Errorf("%s is %d bytes: too short for a note", PackageNoteSection, len(data))
	}
	namesz, descsz, typ := order.Uint32(data), order.Uint32(data[4:]), order.Uint32(data[8:])
	descOff := 12 + align(int(namesz), 4)
	if typ != PackageNoteType || namesz != uint32(len(packageNoteOwner)+1) || string(data[12:12+namesz-1]) != packageNoteOwner ||
		descOff+int(descsz) > len(data) {
		return nil, fmt.Errorf("%s holds no FDO package note (owner size %d, type %#x)", PackageNoteSection, namesz, typ)
	}
	return bytes.TrimRight(data[descOff:descOff+int(descsz)], "\x00"), nil
}

// noteBytes is the note record: namesz, descsz, type, "FDO\0", the
// payload padded with NULs to 4 bytes.
func noteBytes(order binary.ByteOrder, payload []byte) []byte {
	desc := make([]byte, align(len(payload)+1, 4)) // at least one NUL: a C string for C readers
	copy(desc, payload)
	var b bytes.Buffer
	for _, v := range []uint32{uint32(len(packageNoteOwner) + 1), uint32(len(desc)), PackageNoteType} {
		_ = binary.Write(&b, order, v)
	}
	b.WriteString(packageNoteOwner + "\x00")
	b.Write(desc)
	return b.Bytes()
}

func align(n, a int) int { return (n + a - 1) / a * a }

// withPackageNote returns data with the note section added (see
// AddPackageNote).
func withPackageNote(data, payload []byte) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if f.Section(PackageNoteSection) != nil {
		return nil, fmt.Errorf("it already has a %s section", PackageNoteSection)
	}
	if len(f.Sections) == 0 || f.Sections[len(f.Sections)-1] == nil {
		return nil, errors.New("it has no section headers")
	}
	h, err := readHeader(data, f)
	if err != nil {
		return nil, err
	}
	if int(h.shstrndx) >= len(f.Sections) || h.shstrndx == 0 {
		return nil, fmt.Errorf("its section-name table index %d is not a section", h.shstrndx)
	}
	strtab := f.Sections[h.shstrndx]
	names, err := strtab.Data()
	if err != nil {
		return nil, fmt.Errorf("reading the section names: %w", err)
	}
	// Where the rewritten tail starts: the section headers and, right
	// before them, the name table, when they end the file.
	cut := len(data)
	shEnd := int(h.shoff) + int(h.shnum)*int(h.shentsize)
	if shEnd == len(data) {
		cut = int(h.shoff)
		if end := int(strtab.Offset + strtab.Size); end <= cut && align(end, h.wordSize) >= cut && !overlapsOther(f, strtab, uint64(cut)) {
			cut = int(strtab.Offset)
		}
	}
	out := append([]byte(nil), data[:cut]...)
	out = pad(out, 4)
	noteOff := len(out)
	note := noteBytes(f.ByteOrder, payload)
	out = append(out, note...)
	nameOff := len(names)
	newNames := append(append(append([]byte(nil), names...), PackageNoteSection...), 0)
	strOff := len(out)
	out = append(out, newNames...)
	out = pad(out, h.wordSize)
	newShoff := len(out)
	for i := range f.Sections {
		sh := data[int(h.shoff)+i*int(h.shentsize) : int(h.shoff)+(i+1)*int(h.shentsize)]
		sh = append([]byte(nil), sh...)
		if uint16(i) == h.shstrndx {
			h.setOffsetSize(sh, uint64(strOff), uint64(len(newNames)))
		}
		out = append(out, sh...)
	}
	out = append(out, h.noteHeader(uint32(nameOff), uint64(noteOff), uint64(len(note)))...)
	h.setShoffShnum(out, uint64(newShoff), h.shnum+1)
	return out, nil
}

// overlapsOther says whether a section other than s has bytes between
// s's start and end (then s cannot be dropped).
func overlapsOther(f *elf.File, s *elf.Section, end uint64) bool {
	for _, o := range f.Sections {
		if o == s || o.Type == elf.SHT_NOBITS || o.Size == 0 {
			continue
		}
		if o.Offset < end && s.Offset < o.Offset+o.Size {
			return true
		}
	}
	return false
}

func pad(b []byte, a int) []byte {
	for len(b)%a != 0 {
		b = append(b, 0)
	}
	return b
}

// header is what withPackageNote rewrites in the ELF header and section
// headers, for either class and byte order.
type header struct {
	class     elf.Class
	order     binary.ByteOrder
	wordSize  int
	shoff     uint64
	shentsize uint16
	shnum     uint16
	shstrndx  uint16
}

func readHeader(data []byte, f *elf.File) (*header, error) {
	h := &header{class: f.Class, order: f.ByteOrder}
	switch f.Class {
	case elf.ELFCLASS64:
		if len(data) < 64 {
			return nil, errors.New("its ELF header is cut short")
		}
		h.wordSize, h.shoff = 8, h.order.Uint64(data[0x28:])
		h.shentsize, h.shnum, h.shstrndx = h.order.Uint16(data[0x3a:]), h.order.Uint16(data[0x3c:]), h.order.Uint16(data[0x3e:])
	case elf.ELFCLASS32:
		if len(data) < 52 {
			return nil, errors.New("its ELF header is cut short")
		}
		h.wordSize, h.shoff = 4, uint64(h.order.Uint32(data[0x20:]))
		h.shentsize, h.shnum, h.shstrndx = h.order.Uint16(data[0x2e:]), h.order.Uint16(data[0x30:]), h.order.Uint16(data[0x32:])
	default:
		return nil, fmt.Errorf("ELF class %s is not supported", f.Class)
	}
	if h.shnum == 0 || h.shnum >= uint16(elf.SHN_LORESERVE) || h.shstrndx >= uint16(elf.SHN_LORESERVE) {
		return nil, fmt.Errorf("its %d section headers (names in %d) are not in the plain form", h.shnum, h.shstrndx)
	}
	if end := h.shoff + uint64(h.shnum)*uint64(h.shentsize); end > uint64(len(data)) {
		return nil, fmt.Errorf("its section headers end at %d, past the file's %d bytes", end, len(data))
	}
	return h, nil
}

func (h *header) setShoffShnum(out []byte, shoff uint64, shnum uint16) {
	if h.class == elf.ELFCLASS64 {
		h.order.PutUint64(out[0x28:], shoff)
		h.order.PutUint16(out[0x3c:], shnum)
		return
	}
	h.order.PutUint32(out[0x20:], uint32(shoff))
	h.order.PutUint16(out[0x30:], shnum)
}

// setOffsetSize sets sh_offset and sh_size of one section header.
func (h *header) setOffsetSize(sh []byte, off, size uint64) {
	if h.class == elf.ELFCLASS64 {
		h.order.PutUint64(sh[0x18:], off)
		h.order.PutUint64(sh[0x20:], size)
		return
	}
	h.order.PutUint32(sh[0x10:], uint32(off))
	h.order.PutUint32(sh[0x14:], uint32(size))
}

// noteHeader is the section header of the note: SHT_NOTE, no flags,
// aligned to 4.
func (h *header) noteHeader(name uint32, off, size uint64) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, h.order, v) }
	if h.class == elf.ELFCLASS64 {
		w(name)
		w(uint32(elf.SHT_NOTE))
		w(uint64(0)) // flags
		w(uint64(0)) // addr
		w(off)
		w(size)
		w(uint32(0)) // link
		w(uint32(0)) // info
		w(uint64(4)) // addralign
		w(uint64(0)) // entsize
	} else {
		w(name)
		w(uint32(elf.SHT_NOTE))
		w(uint32(0))
		w(uint32(0))
		w(uint32(off))
		w(uint32(size))
		w(uint32(0))
		w(uint32(0))
		w(uint32(4))
		w(uint32(0))
	}
	out := b.Bytes()
	if len(out) < int(h.shentsize) {
		out = append(out, make([]byte, int(h.shentsize)-len(out))...)
	}
	return out
}
