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
	lockName        = "lock"
)

// Store is a cache directory, outside the repository. The zero Store is
// not usable: Dir must be set. See the package documentation for the
// layout.
type Store struct {
	Dir string
	// Link makes Get restore files by hard link instead of copying.
	Link bool
}

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
// see all of it or nothing. If a usable entry for k appears meanwhile (a
// concurrent Put, in this process or another), that entry is kept and Put
// returns nil; a damaged one (its manifest does not parse) is replaced.
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
	tmp, unlockTmp, err := s.tempDir(tmpPrefix)
	if err != nil {
		return fmt.Errorf("creating cache entry: %w", err)
	}
	published := false
	defer func() {
		if !published {
			os.RemoveAll(tmp)
		}
		unlockTmp()
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

	published, trash, err := s.publish(tmp, k)
	if trash != "" {
		os.RemoveAll(trash) // a failure leaves a tmp-* directory for Prune
	}
	if err != nil {
		return fmt.Errorf("publishing cache entry %s: %w", k, err)
	}
	return nil
}

// publish renames the complete entry tmp to the place of k, under the
// store lock. It reports whether tmp was renamed (false: a usable entry
// was there and is kept), and returns the tmp-* directory holding a
// damaged entry it replaced, for the caller to remove after the lock is
// released.
func (s Store) publish(tmp string, k Key) (published bool, trash string, err error) {
	unlock, err := s.lock()
	if err != nil {
		return false, "", err
	}
	defer unlock()
	final := s.entryDir(k)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return false, "", err
	}
	err = os.Rename(tmp, final)
	if err == nil {
		return true, "", nil
	}
	if _, serr := os.Lstat(final); serr != nil {
		return false, "", err // not a clash with an existing entry
	}
	if _, merr := readManifest(final, k); merr == nil {
		return false, "", nil // a concurrent Put won; keep its entry
	}
	if trash, err = s.retire(final); err != nil {
		return false, "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return false, trash, err
	}
	return true, trash, nil
}

// lock takes the store lock (<root>/lock, flock(2)), which orders every
// change of what an entry path names: Put's rename into place, the
// removals by Get, Prune and Clear, and the removal of empty shards. The
// lock is held for a few renames, never while files are copied or
// hashed, and Get takes it only to remove a damaged entry.
func (s Store) lock() (unlock func(), err error) {
	return lockFile(filepath.Join(s.root(), lockName))
}

// tempDir creates a tmp-* directory under the layout root and locks it
// (flock on the directory) until unlock: Prune and Clear skip a locked
// one however old it looks.
func (s Store) tempDir(prefix string) (dir string, unlock func(), err error) {
	dir, err = os.MkdirTemp(s.root(), prefix)
	if err != nil {
		return "", nil, err
	}
	if unlock, err = lockDir(dir); err != nil {
		os.Remove(dir)
		return "", nil, err
	}
	return dir, unlock, nil
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
	return decodeManifest(data, k)
}

// decodeManifest parses and checks the manifest of the entry for k.
func decodeManifest(data []byte, k Key) (manifest, error) {
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

// removeEntry removes the entry directory dir if it is still there and
// still(its Lstat) holds, both checked under the store lock, so that an
// entry published after the caller looked is not removed in its place.
// The entry is renamed into a tmp-rm-* directory under the lock, which
// readers never see half of, and deleted after the lock is released. It
// reports whether it removed dir, and the bytes freed.
func (s Store) removeEntry(dir string, still func(fs.FileInfo) bool) (removed bool, freed int64, err error) {
	unlock, err := s.lock()
	if err != nil {
		return false, 0, err
	}
	fi, err := os.Lstat(dir)
	if err != nil || !still(fi) {
		unlock()
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		return false, 0, err
	}
	trash, err := s.retire(dir)
	unlock()
	if err != nil {
		return false, 0, err
	}
	freed = dirSize(trash)
	os.RemoveAll(trash) // a failure leaves a tmp-* directory for Prune
	return true, freed, nil
}

// retire renames the entry directory dir into a new tmp-rm-* directory
// and returns that directory. The caller holds the store lock and removes
// the returned directory after releasing it. No one else writes into it,
// and Prune leaves it alone for an hour, so its removal cannot fail with
// "directory not empty" or race another removal.
func (s Store) retire(dir string) (trash string, err error) {
	trash, err = os.MkdirTemp(s.root(), tmpPrefix+"rm-")
	if err != nil {
		return "", err
	}
	if err := os.Rename(dir, filepath.Join(trash, "entry")); err != nil {
		os.Remove(trash)
		return "", err
	}
	return trash, nil
}
