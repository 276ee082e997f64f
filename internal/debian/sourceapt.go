package debian

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// SourceFiles are the machine's apt sources: the mirror and suites the
// private apt states use (the system's apt configuration is never changed).
var SourceFiles = []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"}

// MachineSources is the contents of SourceFiles, concatenated (nil when
// there are none).
func MachineSources() []byte {
	var src []byte
	for _, f := range SourceFiles {
		if data, err := os.ReadFile(f); err == nil {
			src = append(append(src, data...), '\n')
		}
	}
	return src
}

// SourceApt downloads Debian source packages with the private source apt
// of a cache directory: its package lists are updated once, on first use,
// and one download runs at a time. Only source:pin uses it (an explicit
// refresh of pins: it needs the suite's index for the newest version);
// builds fetch pinned sources with Fetcher.FetchSource, without apt.
type SourceApt struct {
	CacheDir string
	Suite    string // "bookworm"
	Sources  []byte // apt sources naming the mirror; nil reads SourceFiles
	Run      Run

	mu  sync.Mutex
	apt *Apt // updated
}

// Download fetches the files of source package pkg at version (the
// suite's newest when "") into dir.
func (s *SourceApt) Download(ctx context.Context, pkg, version, dir string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apt == nil {
		srcs := s.Sources
		if srcs == nil {
			srcs = MachineSources()
		}
		m, err := ParseSources(srcs, s.Suite)
		if err != nil {
			return err
		}
		a := NewApt(s.CacheDir, SourceArch, s.Suite, m)
		if err := a.Update(ctx, s.Run); err != nil {
			return err
		}
		s.apt = a
	}
	return s.apt.DownloadSource(ctx, s.Run, pkg, version, dir)
}

// DownloadDsc is Download followed by reading the package's .dsc from
// dir. When some file cannot be downloaded (a mirror missing it) the .dsc
// is still returned when it came, with the error.
func (s *SourceApt) DownloadDsc(ctx context.Context, pkg, version, dir string) (*Dsc, error) {
	fetchErr := s.Download(ctx, pkg, version, dir)
	dscs, _ := filepath.Glob(filepath.Join(dir, "*.dsc"))
	if len(dscs) != 1 {
		if fetchErr != nil {
			return nil, fetchErr
		}
		return nil, fmt.Errorf("apt-get source %s gave %d .dsc files, want 1", pkg, len(dscs))
	}
	data, err := os.ReadFile(dscs[0])
	if err != nil {
		return nil, err
	}
	dsc, err := ParseDsc(data, filepath.Base(dscs[0]))
	if err != nil {
		return nil, err
	}
	return dsc, fetchErr
}

// Pins are the .dsc's files as a recipe's source.files pins them:
// file name -> pin.
func (d *Dsc) Pins() (map[string]recipe.Pin, error) {
	pins := map[string]recipe.Pin{}
	for _, f := range d.Files {
		p, err := recipe.ParsePin("sha256:" + f.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %s: %w", d.Source, d.Version, f.Name, err)
		}
		pins[f.Name] = p
	}
	return pins, nil
}
