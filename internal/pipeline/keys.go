package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// statOf is what imageKey records of a closure file: size, mtime and
// inode, so a Debian update of a library invalidates the image.
func statOf(p string) (size, mtimeNS int64, ino uint64) {
	st, err := os.Stat(p)
	if err != nil {
		return -1, 0, 0
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return st.Size(), st.ModTime().UnixNano(), ino
}

// Placeholders stand for the machine's directories in cache keys: the key
// of a cell is the same wherever the repository and the cache are.
const (
	keySrc   = "/fromscratch/src"
	keyWork  = "/fromscratch/work"
	keyCache = "/fromscratch/cache"
)

func (b *Builder) envConfig(pathDirs []string) toolchain.EnvConfig {
	return toolchain.EnvConfig{
		PathDirs:        pathDirs,
		SourceDateEpoch: b.opts.BuildDate.Unix(),
		CacheDir:        b.opts.CacheDir,
		TempDir:         b.stepTempDir(),
	}
}

// runBuild runs cb's steps for job j with run (the job's step runner),
// the cell's explicit environment and cb's variables, and returns the
// log.
func (b *Builder) runBuild(ctx context.Context, run toolchain.Runner, j Job, cb toolchain.CellBuild) ([]byte, error) {
	return cb.Run(ctx, run, cb.Env(toolchain.Env(b.envConfig(j.Tool.PathDirs))))
}

// keyInputs are the parts of a compile key every kind shares: the
// toolchain's identity (name, version, the digests of its commands), the
// platform, linkage and libc, the environment with placeholder paths (cb,
// built with the placeholders, adds its variables to it), the files cb
// writes before its steps (under @work/), and the build date next to
// extra.
func (b *Builder) keyInputs(j Job, cb toolchain.CellBuild, extra map[string]string) (*cache.Inputs, error) {
	extra["build_date"] = strconv.FormatInt(b.opts.BuildDate.Unix(), 10)
	in := cache.Inputs{
		Toolchain:        j.Def.Name,
		ToolchainVersion: j.Tool.Version,
		ToolchainDigests: map[string]string{},
		Platform:         string(j.Cell.Platform),
		Linkage:          string(j.Cell.Linkage),
		Libc:             j.Def.Linkage(j.Cell.Linkage).Libc,
		Env: cb.Env(toolchain.Env(toolchain.EnvConfig{
			PathDirs: []string{keyCache + "/bin"}, SourceDateEpoch: b.opts.BuildDate.Unix(),
			CacheDir: keyCache, TempDir: keyCache + "/tmp",
		})),
		Files: map[string]string{},
		Extra: extra,
	}
	for _, n := range slices.Sorted(maps.Keys(j.Tool.Resolved)) {
		if br := b.opts.BuildRoot; br != nil && toolchain.InRoot(j.Tool.Resolved[n]) {
			// The root's commands are what its lock pins: the lock's
			// digest is their identity, the same on every host.
			in.ToolchainDigests[n] = "buildroot:" + br.Lock.Digest
			continue
		}
		d, err := b.memo.Digest(j.Tool.Resolved[n])
		if err != nil {
			return nil, err
		}
		in.ToolchainDigests[n] = d
	}
	for _, f := range cb.Files() {
		in.Files["@work/"+f.Path] = bytesDigest(f.Data)
	}
	return &in, nil
}

// recipeInputs adds the digest of every input file of rc (Recipe.Inputs)
// to in, by its name in the recipe folder (recipe.toml by what it says
// about building, see inputDigest), and rc's name: the outputs are named
// after it, so a copy of a recipe folder under another name is another
// build.
func recipeInputs(in *cache.Inputs, rc *recipe.Recipe, digest digester) error {
	inputs, err := rc.Inputs()
	if err != nil {
		return err
	}
	for _, f := range inputs {
		d, err := inputDigest(rc, f, digest)
		if err != nil {
			return err
		}
		in.Files[f] = d
	}
	in.Extra["recipe"] = rc.Name
	return nil
}

// inputDigest is the digest of rc's input file rel: its bytes, except for
// recipe.toml, whose parsed build fields count (Recipe.BuildDigest), so
// that a comment or a smoke change recompiles nothing.
func inputDigest(rc *recipe.Recipe, rel string, digest digester) (string, error) {
	if rel == recipe.FileName {
		return rc.BuildDigest()
	}
	return digest(filepath.Join(rc.Dir, rel))
}

func bytesDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// imageKey covers what an image is made of besides the binary: the
// closure files (by path and stat, so a Debian update of a library
// invalidates it), the recipe's smoke arguments (the image's Cmd), the
// labels' inputs (the recipe's declared licence among them), whether the
// image carries scan data, the build root's lock (the Debian facts of that
// data) and fromscratch's version (the creator of the SBOM inside).
func (b *Builder) imageKey(r *Result) string {
	h := sha256.New()
	fmt.Fprintf(h, "image/v4\x00%s\x00%s\x00%d\x00%q\x00%q\x00%q\x00%q\x00%t\x00%q\x00%q\x00", r.CompileKey, r.BinarySHA256, b.opts.BuildDate.Unix(),
		r.Job.Recipe.Args(r.Job.Cell.Linkage).SmokeArgs, r.Job.Recipe.Description, b.opts.Source, b.opts.Revision, b.opts.NoScanData,
		r.Job.Recipe.License, b.opts.FromscratchVersion)
	if br := b.opts.BuildRoot; br != nil && br.Lock != nil {
		fmt.Fprintf(h, "root\x00%s\x00", br.Lock.Digest) // the Debian facts of the scan layer
	}
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			size, mtime, ino := statOf(f.Source)
			fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%d\x00", f.ImagePath, f.Source, size, mtime, ino)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// smokeKey covers what a smoke run checks: the image and the expectation,
// with what the run is fed on stdin: the text, or the bytes of stdin_file,
// and the bytes of stdout_file, so that a change to either file runs the
// smoke test again. A file that cannot be read gives a key no stamp holds.
func smokeKey(digest string, rc *recipe.Recipe) string {
	s := rc.Smoke
	want := s.StdoutRegexp
	if s.Stdout != nil {
		want = "=" + *s.Stdout
	}
	fileDigest := func(rel string) string {
		if rel == "" {
			return ""
		}
		d, err := cache.FileDigest(filepath.Join(rc.Dir, filepath.Clean(rel)))
		if err != nil {
			return "unreadable " + err.Error()
		}
		return d
	}
	h := sha256.Sum256([]byte(strings.Join([]string{"smoke/v3", digest, want, strconv.Itoa(s.ExitCode), fmt.Sprint(s.Args),
		"stdin=" + s.Stdin, "stdin_file=" + fileDigest(s.StdinFile), "stdout_file=" + fileDigest(s.StdoutFile)}, "\x00")))
	return hex.EncodeToString(h[:])
}
