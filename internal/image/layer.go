package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer blobs are gzip streams written here, not by go-containerregistry, so that every byte is
// pinned: no file name, a zero MTIME, OS byte 255 ("unknown"), and a fixed level. compress/gzip
// is deterministic for a given input, level and Go release; a Go release that changed
// compress/flate's output would show up as a pinned-digest test failure.
const (
	gzipLevel = gzip.BestCompression // layers are small and their size is what this project measures
	gzipOS    = 255
	dirMode   = 0o755
)

// checkLayers rejects paths that are relative or unclean, paths (and their parent directories)
// that a plain USTAR header cannot hold, paths that appear twice in the image,
// paths that are both a file and a parent directory, and modes that are not permission bits.
func checkLayers(layers []Layer) error {
	files := map[string]string{} // image path -> "Layers[i].Files[j]"
	dirs := map[string]string{}  // implied parent directory -> first file that implies it
	for i, l := range layers {
		if len(l.Files) == 0 {
			return fmt.Errorf("%w: Layers[%d] (%s) has no files: give each layer at least one", ErrInvalidSpec, i, l.CreatedBy)
		}
		for j, f := range l.Files {
			field := fmt.Sprintf("Layers[%d].Files[%d]", i, j)
			if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
				return fmt.Errorf("%w: %s.Path %q is not an absolute, clean file path: use one like %q",
					ErrInvalidSpec, field, f.Path, suggestPath(f.Path))
			}
			if why := ustarProblem(strings.TrimPrefix(f.Path, "/")); why != "" {
				return fmt.Errorf("%w: %s.Path %q cannot be written in a USTAR tar header: %s", ErrInvalidSpec, field, f.Path, why)
			}
			if f.Mode == 0 || f.Mode&^os.ModePerm != 0 {
				return fmt.Errorf("%w: %s.Mode %#o (%s) is not allowed: use permission bits only, such as 0o755 or 0o644",
					ErrInvalidSpec, field, uint32(f.Mode), f.Path)
			}
			if f.Source == "" {
				return fmt.Errorf("%w: %s.Source is empty (%s): name the host file to copy", ErrInvalidSpec, field, f.Path)
			}
			if prev, ok := files[f.Path]; ok {
				return fmt.Errorf("%w: %s.Path %q is already in %s: each path may appear once per image",
					ErrInvalidSpec, field, f.Path, prev)
			}
			files[f.Path] = field
			for d := path.Dir(f.Path); d != "/"; d = path.Dir(d) {
				if _, ok := dirs[d]; !ok {
					dirs[d] = field
				}
			}
		}
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names) // report the same conflict every run
	for _, d := range names {
		if why := ustarProblem(strings.TrimPrefix(d, "/") + "/"); why != "" {
			return fmt.Errorf("%w: %s.Path needs the directory %s, which cannot be written in a USTAR tar header: %s",
				ErrInvalidSpec, dirs[d], d, why)
		}
		if f, ok := files[d]; ok {
			by := dirs[d]
			return fmt.Errorf("%w: %s.Path %q is a file, but %s needs it as a directory",
				ErrInvalidSpec, f, d, by)
		}
	}
	return nil
}

// ustarProblem says why the tar name cannot be written in a plain USTAR header, "" if it can.
// Layers are plain USTAR so that no PAX record (which would carry atime and ctime) is ever
// written; archive/tar then refuses a name it would need PAX for. A name fits when it is ASCII
// without NUL and either has at most 100 bytes or splits at a '/' into a prefix of at most 155
// bytes and a rest of at most 100. archive/tar itself decides; the text explains its refusal.
func ustarProblem(name string) string {
	hdr := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatUSTAR}
	if strings.HasSuffix(name, "/") {
		hdr.Typeflag = tar.TypeDir
	}
	if tar.NewWriter(io.Discard).WriteHeader(hdr) == nil {
		return ""
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 || name[i] >= 0x80 {
			return fmt.Sprintf("it has the byte %#x: use ASCII characters other than NUL", name[i])
		}
	}
	return fmt.Sprintf("its tar name (without the leading '/') is %d bytes long and does not split at a '/' "+
		"into at most 155 bytes before and 100 after", len(name))
}

// suggestPath turns a rejected path into the absolute, clean path the caller probably meant.
func suggestPath(p string) string {
	s := path.Join("/", p)
	if s == "/" {
		return "/hello"
	}
	return s
}

// entry is one tar entry: a parent directory (Source empty) or a file.
type entry struct {
	name   string // tar name: no leading "/", directories end in "/"
	source string
	mode   os.FileMode
}

// entries lists the directories and files of one layer, sorted by tar name. A parent's name is a
// prefix of its children's, so sorting alone puts every directory before what it contains.
func entries(files []File) []entry {
	seen := map[string]bool{}
	var es []entry
	for _, f := range files {
		for d := path.Dir(f.Path); d != "/" && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			es = append(es, entry{name: strings.TrimPrefix(d, "/") + "/", mode: dirMode})
		}
		es = append(es, entry{name: strings.TrimPrefix(f.Path, "/"), source: f.Source, mode: f.Mode})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	return es
}

// layerTar writes the uncompressed layer: USTAR headers (so no PAX atime/ctime records), uid and
// gid 0, no user or group names, the given modes, and mtime = created.
func layerTar(w io.Writer, files []File, created time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range entries(files) {
		hdr := &tar.Header{
			Name:    e.name,
			Mode:    int64(e.mode),
			ModTime: created,
			Format:  tar.FormatUSTAR,
		}
		if e.source == "" {
			hdr.Typeflag = tar.TypeDir
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("writing tar header for %s: %w", e.name, err)
			}
			continue
		}
		if err := copyFile(tw, hdr, e.source); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("closing tar: %w", err)
	}
	return nil
}

// copyFile writes one regular file's header and content.
func copyFile(tw *tar.Writer, hdr *tar.Header, source string) error {
	f, err := os.Open(source)
	if err != nil {
		return fmt.Errorf("opening source of /%s: %w", hdr.Name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading source of /%s: %w", hdr.Name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("reading source of /%s: %s is a %s, not a regular file", hdr.Name, source, info.Mode().Type())
	}
	hdr.Typeflag = tar.TypeReg
	hdr.Size = info.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing tar header for %s: %w", hdr.Name, err)
	}
	if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
		return fmt.Errorf("copying %s to /%s (did it change while being read?): %w", source, hdr.Name, err)
	}
	return nil
}

// newLayer builds the gzip blob in memory, hashing the tar (diff_id) and the blob (digest) as
// they are written. go-containerregistry takes the blob as is and never compresses it again.
func newLayer(files []File, created time.Time) (v1.Layer, error) {
	var blob bytes.Buffer
	zw, err := gzip.NewWriterLevel(&blob, gzipLevel)
	if err != nil {
		return nil, fmt.Errorf("creating gzip writer: %w", err)
	}
	zw.Header = gzip.Header{OS: gzipOS} // no name, no comment, no extra, MTIME 0
	diffID := sha256.New()
	if err := layerTar(io.MultiWriter(diffID, zw), files, created); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("closing gzip: %w", err)
	}
	digest := sha256.Sum256(blob.Bytes())
	return &gzipLayer{
		blob:   blob.Bytes(),
		digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(digest[:])},
		diffID: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(diffID.Sum(nil))},
	}, nil
}

// gzipLayer is an OCI gzip layer held in memory.
type gzipLayer struct {
	blob           []byte
	digest, diffID v1.Hash
}

func (l *gzipLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *gzipLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *gzipLayer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *gzipLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

func (l *gzipLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}

func (l *gzipLayer) Uncompressed() (io.ReadCloser, error) {
	zr, err := gzip.NewReader(bytes.NewReader(l.blob))
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", l.digest, err)
	}
	return zr, nil
}
