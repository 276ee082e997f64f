package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// HistoryEntry is one line of an image's history.
type HistoryEntry struct {
	CreatedBy  string
	Size       int64 // bytes of the files the layer holds, as docker counts them; 0 for an empty layer
	EmptyLayer bool
}

// History returns the image's history newest first, as `docker image history` prints it. Each
// entry that made a layer carries the sum of the sizes of the files in it, the number docker
// shows (tar headers and padding are not counted).
func History(img v1.Image) ([]HistoryEntry, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading layers: %w", err)
	}
	entries := make([]HistoryEntry, 0, len(cfg.History))
	next := 0
	for _, h := range cfg.History {
		e := HistoryEntry{CreatedBy: h.CreatedBy, EmptyLayer: h.EmptyLayer}
		if !h.EmptyLayer {
			if next >= len(layers) {
				return nil, fmt.Errorf("matching history to layers: more non-empty history entries than the %d layers", len(layers))
			}
			if _, e.Size, err = uncompressedSize(layers[next]); err != nil {
				return nil, err
			}
			next++
		}
		entries = append(entries, e)
	}
	if next != len(layers) {
		return nil, fmt.Errorf("matching history to layers: %d non-empty history entries, %d layers", next, len(layers))
	}
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i]
	}
	return entries, nil
}

// LayerSize is one layer's share of an image, oldest layer first.
type LayerSize struct {
	Digest       v1.Hash // of the compressed blob
	Compressed   int64
	Uncompressed int64 // bytes of the layer tar
	Content      int64 // bytes of the files in it
}

// Sizes is what an image costs in bytes.
type Sizes struct {
	LayersUncompressed int64 // sum of layer tars
	Content            int64 // sum of the files in the layers: what `docker images` reports
	LayersCompressed   int64 // sum of gzip blobs
	Config             int64
	Manifest           int64
	Registry           int64 // Config + Manifest + LayersCompressed: what a registry stores
	PerLayer           []LayerSize
}

// SizesOf measures img, reading each layer once to count its uncompressed bytes.
func SizesOf(img v1.Image) (Sizes, error) {
	var s Sizes
	cfg, err := img.RawConfigFile()
	if err != nil {
		return s, fmt.Errorf("reading config: %w", err)
	}
	m, err := img.RawManifest()
	if err != nil {
		return s, fmt.Errorf("reading manifest: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return s, fmt.Errorf("reading layers: %w", err)
	}
	s.Config, s.Manifest = int64(len(cfg)), int64(len(m))
	for _, l := range layers {
		var ls LayerSize
		if ls.Digest, err = l.Digest(); err != nil {
			return s, fmt.Errorf("reading layer digest: %w", err)
		}
		if ls.Compressed, err = l.Size(); err != nil {
			return s, fmt.Errorf("reading size of layer %s: %w", ls.Digest, err)
		}
		if ls.Uncompressed, ls.Content, err = uncompressedSize(l); err != nil {
			return s, err
		}
		s.Content += ls.Content
		s.LayersCompressed += ls.Compressed
		s.LayersUncompressed += ls.Uncompressed
		s.PerLayer = append(s.PerLayer, ls)
	}
	s.Registry = s.Config + s.Manifest + s.LayersCompressed
	return s, nil
}

// uncompressedSize counts the bytes of a layer's tar and of the files in it.
func uncompressedSize(l v1.Layer) (tarBytes, content int64, err error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, 0, fmt.Errorf("opening layer: %w", err)
	}
	defer rc.Close()
	cr := &countingReader{r: rc}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading layer: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			content += h.Size
		}
	}
	// The rest: end-of-archive blocks and padding.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return 0, 0, fmt.Errorf("reading layer: %w", err)
	}
	return cr.n, content, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
