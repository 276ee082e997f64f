package debian

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// contentsName is the file beside root/ that names the locked package
// each file and link of the tree came from, as dpkg's *.list files do on
// an installed system: written once at assembly, read by the SBOMs.
const contentsName = "contents.json"

// contentsFile is contents.json: the lock's digest and, by path relative
// to the root ("usr/lib/x86_64-linux-gnu/libc.so.6"), the package name.
// encoding/json writes the map sorted by path, so the file is a function
// of the lock alone.
type contentsFile struct {
	Digest string            `json:"digest"`
	Files  map[string]string `json:"files"`
}

// writeContents writes dir/contents.json from the owners assemble returned.
func writeContents(dir, digest string, owners map[string]string) error {
	data, err := json.MarshalIndent(contentsFile{Digest: digest, Files: owners}, "", " ")
	if err != nil {
		return fmt.Errorf("writing the build root's contents: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, contentsName), append(data, '\n'), 0o644)
}

// RootContents says which locked package each file of an assembled build
// root came from: what the SBOMs name for the runtime files images take
// from the root, instead of asking the host's dpkg.
type RootContents struct {
	root  string // the root/ directory, absolute
	lock  *RootLock
	files map[string]string
}

// ReadRootContents reads the contents of the root of lock that EnsureRoot
// assembled in cacheDir. A root assembled without them (by an older
// fromscratch) is assembled again by the next EnsureRoot.
func ReadRootContents(cacheDir string, lock *RootLock) (*RootContents, error) {
	dir := RootDir(cacheDir, lock.ComputeDigest())
	name := filepath.Join(dir, contentsName)
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading the build root's contents: %w (a build with the build root assembles it)", err)
	}
	var c contentsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if c.Digest != lock.Digest {
		return nil, fmt.Errorf("reading %s: digest %q is not the lock's %s", name, c.Digest, lock.Digest)
	}
	root, err := filepath.Abs(filepath.Join(dir, "root"))
	if err != nil {
		return nil, err
	}
	return &RootContents{root: root, lock: lock, files: c.Files}, nil
}

// Root is the root/ directory whose files Owner knows.
func (c *RootContents) Root() string { return c.root }

// Owner is the locked package that installed hostPath, a file of the root
// reached by its real path (as elfdeps gives a closure's Source) or
// through a merged-/usr top directory (root/lib/... for root/usr/lib/...).
// A path outside the root, or one no package installed, has none.
func (c *RootContents) Owner(hostPath string) (Package, bool) {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return Package{}, false
	}
	rel, err := filepath.Rel(c.root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return Package{}, false
	}
	rel = filepath.ToSlash(rel)
	name, ok := c.files[rel]
	if !ok {
		name, ok = c.files[mergeUsr(rel)]
	}
	if !ok {
		return Package{}, false
	}
	return c.lock.Find(name)
}
