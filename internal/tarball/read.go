package tarball

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadFile returns the content of the first regular file of the archive
// (gzip, xz, bzip2 or plain tar) whose entry name match accepts, reading
// at most limit bytes of it; found is false when no entry matches.
// Nothing is extracted.
func ReadFile(archive string, match func(name string) bool, limit int64) (data []byte, found bool, err error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", archive, err)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", archive, err)
		}
		if h.Typeflag != tar.TypeReg || !match(h.Name) {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, limit))
		if err != nil {
			return nil, false, fmt.Errorf("reading %s in %s: %w", h.Name, archive, err)
		}
		return data, true, nil
	}
}
