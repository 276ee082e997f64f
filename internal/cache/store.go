package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
)

const (
	layoutVersion   = "v1"
	manifestVersion = 1
	manifestName    = "manifest.json"
	filesDir        = "files"
	tmpPrefix       = "tmp-"
)

// Store is a cache directory, outside the repository. The zero Store is
// not usable: Dir must be set. See the package documentation for the
// layout.
type Store struct{ Dir string }

// Entry is what Get restored.
type Entry struct {
	Files map[string]string // output name -> sha256
	Meta  map[string]string
}

// manifest is manifest.json of an entry.
type manifest struct {
	Version int                     `json:"version"`
	Key     string                  `json:"key"`
	Files   map[string]manifestFile `json:"files"`
	Meta    map[string]string       `json:"meta,omitempty"`
}

type manifestFile struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Mode   uint32 `json:"mode"` // permission bits of the file that was Put
}

func (s Store) root() string { return filepath.Join(s.Dir, layoutVersion) }

func (s Store) entryDir(k Key) string {
	h := k.String()
	return filepath.Join(s.root(), h[:2], h)
}

// Put stores files (output name -> host path) and meta under k. The entry
// is written to a temporary directory and renamed into place, so readers
// see all of it or nothing. If an entry for k appears meanwhile (a
// concurrent Put), that entry is kept and Put returns nil.
func (s Store) Put(k Key, files map[string]string, meta map[string]string) error {
	for name := range files {
		if !validName(name) {
			return fmt.Errorf("storing cache entry %s: invalid output name %q", k, name)
		}
	}
	root := s.root()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("creating cache directory: %w", err)
	}
	tmp, err := os.MkdirTemp(root, tmpPrefix)
	if err != nil {
		return fmt.Errorf("creating cache entry: %w", err)
	}
	published := false
	defer func() {
		if !published {
			os.RemoveAll(tmp)
		}
	}()

	m := manifest{Version: manifestVersion, Key: k.String(), Files: map[string]manifestFile{}, Meta: meta}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		mf, err := storeFile(filepath.Join(tmp, filesDir, filepath.FromSlash(name)), files[name])
		if err != nil {
			return fmt.Errorf("storing %s in cache entry %s: %w", name, k, err)
		}
		m.Files[name] = mf
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding manifest of %s: %w", k, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, manifestName), append(data, '\n'), 0o444); err != nil {
		return fmt.Errorf("writing manifest of %s: %w", k, err)
	}

	final := s.entryDir(k)
	// Two attempts: Prune may remove the empty shard directory between
	// MkdirAll and Rename.
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return fmt.Errorf("creating cache shard: %w", err)
		}
		err := os.Rename(tmp, final)
		if err == nil {
			published = true
			return nil
		}
		if _, serr := os.Lstat(final); serr == nil {
			return nil // a concurrent Put won; keep its entry
		}
		if attempt == 1 {
			return fmt.Errorf("publishing cache entry %s: %w", k, err)
		}
	}
}

// storeFile copies the regular file src to dst, makes dst read-only
// (keeping execute bits) and describes it.
func storeFile(dst, src string) (manifestFile, error) {
	in, err := os.Open(src)
	if err != nil {
		return manifestFile{}, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return manifestFile{}, err
	}
	if !fi.Mode().IsRegular() {
		return manifestFile{}, fmt.Errorf("%s is not a regular file", src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return manifestFile{}, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return manifestFile{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err != nil {
		out.Close()
		return manifestFile{}, fmt.Errorf("copying %s: %w", src, err)
	}
	perm := fi.Mode().Perm()
	if err := out.Chmod(0o444 | perm&0o111); err != nil {
		out.Close()
		return manifestFile{}, err
	}
	if err := out.Close(); err != nil {
		return manifestFile{}, err
	}
	return manifestFile{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Mode: uint32(perm)}, nil
}

// readManifest reads and checks the manifest of the entry in dir. Any
// error means the entry is unusable.
func readManifest(dir string, k Key) (manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return manifest{}, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return manifest{}, fmt.Errorf("decoding manifest: %w", err)
	}
	if m.Version != manifestVersion || m.Key != k.String() {
		return manifest{}, fmt.Errorf("manifest has version %d and key %q", m.Version, m.Key)
	}
	for name, f := range m.Files {
		if !validName(name) || len(f.SHA256) != 2*sha256.Size || f.Size < 0 || f.Mode&^0o777 != 0 {
			return manifest{}, fmt.Errorf("manifest has an invalid file %q", name)
		}
	}
	return m, nil
}

// validName reports whether name is a clean, local, slash-separated path.
func validName(name string) bool {
	return name != "" && path.Clean(name) == name && filepath.IsLocal(filepath.FromSlash(name))
}

// discard removes the entry directory dir: it is first renamed into a
// tmp-* directory so no reader sees half an entry. It returns an error
// matching fs.ErrNotExist if dir was already gone.
func (s Store) discard(dir string) error {
	if _, err := os.Lstat(dir); err != nil {
		return err
	}
	trash, err := os.MkdirTemp(s.root(), tmpPrefix+"rm-")
	if err != nil {
		return os.RemoveAll(dir)
	}
	if err := os.Rename(dir, filepath.Join(trash, "entry")); err != nil {
		os.Remove(trash)
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return os.RemoveAll(dir)
	}
	return os.RemoveAll(trash)
}
