package pipeline

import (
	"context"
	"os"
	"path/filepath"
)

// The library stages of a run: a project's libraries are built (or
// restored from the action cache) once per run and cell key, whichever
// program's cell needs them first, and kept in a folder of the cache's
// tmp/ that Build removes when it ends.

// libStage is one library's stage for one cell key, built or restored
// once per run.
type libStage struct {
	done chan struct{}
	tar  string
	err  error
}

// libraryOnce returns the stage tarball of key: obtain's answer, asked
// once per run; later callers wait for the first (or their context).
func (b *Builder) libraryOnce(ctx context.Context, key string, obtain func() (string, error)) (string, error) {
	b.libsMu.Lock()
	if b.libs == nil {
		b.libs = map[string]*libStage{}
	}
	ls, ok := b.libs[key]
	if !ok {
		ls = &libStage{done: make(chan struct{})}
		b.libs[key] = ls
	}
	b.libsMu.Unlock()
	if ok {
		select {
		case <-ls.done:
			return ls.tar, ls.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	ls.tar, ls.err = obtain()
	close(ls.done)
	return ls.tar, ls.err
}

// libraryDir is this run's folder of library stages (under the cache's
// tmp/, removed by Build when it ends).
func (b *Builder) libraryDir() (string, error) {
	b.libsMu.Lock()
	defer b.libsMu.Unlock()
	if b.libDir != "" {
		return b.libDir, nil
	}
	root := filepath.Join(b.opts.CacheDir, "tmp")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	d, err := os.MkdirTemp(root, "libraries"+TempMark)
	if err != nil {
		return "", err
	}
	b.libDir = d
	return d, nil
}

// removeLibraryDir removes this run's library stages.
func (b *Builder) removeLibraryDir() {
	b.libsMu.Lock()
	defer b.libsMu.Unlock()
	if b.libDir != "" {
		os.RemoveAll(b.libDir)
		b.libDir, b.libs = "", nil
	}
}
