package debian

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// arMagic starts every .deb: it is an ar archive of debian-binary,
// control.tar.* and data.tar.*.
const arMagic = "!<arch>\n"

// debData is the data.tar of an open .deb: the files it installs.
type debData struct {
	*tar.Reader
	r     io.Reader // the decompressed tar stream
	close func() error
}

func (d *debData) Close() error { return d.close() }

// openData opens the .deb at path and returns a reader of its data.tar,
// decompressed (xz, zstd, gzip or none, as dpkg-deb allows), without
// dpkg-deb.
func openData(path string) (*debData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, name, err := findMember(bufio.NewReaderSize(f, 1<<16), "data.tar")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	var dec io.Reader
	closeDec := func() {}
	switch name {
	case "data.tar":
		dec = r
	case "data.tar.xz":
		xr, err := xz.NewReader(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading %s: %s: %w", filepath.Base(path), name, err)
		}
		dec = xr
	case "data.tar.zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading %s: %s: %w", filepath.Base(path), name, err)
		}
		dec, closeDec = zr, zr.Close
	case "data.tar.gz":
		gr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading %s: %s: %w", filepath.Base(path), name, err)
		}
		dec = gr
	default:
		f.Close()
		return nil, fmt.Errorf("reading %s: member %s has a compression dpkg-deb does not write", filepath.Base(path), name)
	}
	return &debData{Reader: tar.NewReader(dec), r: dec, close: func() error { closeDec(); return f.Close() }}, nil
}

// findMember reads the ar archive r up to the first member whose name
// starts with prefix and returns that member's contents and full name.
func findMember(r io.Reader, prefix string) (io.Reader, string, error) {
	magic := make([]byte, len(arMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != arMagic {
		return nil, "", fmt.Errorf("not a .deb (no ar header)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, "", fmt.Errorf("no %s member: %w", prefix, err)
		}
		if string(hdr[58:60]) != "`\n" {
			return nil, "", fmt.Errorf("corrupt ar member header %q", hdr)
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, "", fmt.Errorf("corrupt ar member size in %q", hdr)
		}
		if strings.HasPrefix(name, prefix) {
			return io.LimitReader(r, size), name, nil
		}
		if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil { // members are 2-aligned
			return nil, "", fmt.Errorf("reading member %s: %w", name, err)
		}
	}
}

// readData is the decompressed data.tar of the .deb at path.
func readData(path string) ([]byte, error) {
	d, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(d.r); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	return b.Bytes(), nil
}

// extract writes the files of the .deb at path into dir, which exists,
// where the package names them, as dpkg-deb -x does but in Go and with the
// assembler's care: no name leaves dir, no write goes through a symlink,
// setuid and setgid bits are dropped; files keep their modes and mtimes.
func extract(path, dir string) error {
	d, err := openData(path)
	if err != nil {
		return err
	}
	defer d.Close()
	a := newAssembler(dir)
	a.unmerged = true
	if err := a.unpack(filepath.Base(path), d.Reader); err != nil {
		return err
	}
	return a.finishDirs()
}
