package pipeline

import (
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

// plan is the one place a toolchain.Plan is assembled: the job's
// toolchain, target, linkage and recipe, objects in workDir, the program
// at output.
func (j Job) plan(workDir, output string) toolchain.Plan {
	return toolchain.Plan{
		Def: j.Def, Target: j.Tool.Target, Linkage: j.Cell.Linkage, Recipe: j.Recipe,
		Resolved: j.Tool.Resolved, WorkDir: workDir, Output: output,
		InRoot: toolchain.InRoot(j.Tool.Resolved[toolchain.Expand(j.Def.CC, j.Tool.Target, j.Cell.Linkage)[0]]),
	}
}

func (b *Builder) envConfig(pathDirs []string) toolchain.EnvConfig {
	return toolchain.EnvConfig{
		PathDirs:        pathDirs,
		SourceDateEpoch: b.opts.BuildDate.Unix(),
		CacheDir:        b.opts.CacheDir,
		TempDir:         b.stepTempDir(),
	}
}

// compileKey is the action-cache key of a cell's compilation: toolchain
// identity (version and the digests of its commands), target, linkage,
// libc, the exact commands and environment (with placeholder paths), every
// input file of the recipe and the build date.
func (b *Builder) compileKey(j Job) (cache.Key, error) {
	if j.Recipe.IsProject() {
		return b.projectKey(j, j.Recipe)
	}
	rc := *j.Recipe
	rc.Dir = keySrc
	kj := j
	kj.Recipe = &rc
	kj.Tool.Resolved = nil // commands by name: the key holds no machine path
	plan := kj.plan(keyWork+"/obj", keyWork+"/"+rc.Name)
	in, err := b.keyInputs(j, func(env []string) []string { return env }, map[string]string{"schema": "1"})
	if err != nil {
		return cache.Key{}, err
	}
	for _, s := range plan.Steps() {
		in.Argv = append(in.Argv, s.Args)
	}
	inputs, err := j.Recipe.Inputs()
	if err != nil {
		return cache.Key{}, err
	}
	for _, f := range inputs {
		d, err := cache.FileDigest(filepath.Join(j.Recipe.Dir, f))
		if err != nil {
			return cache.Key{}, err
		}
		in.Files[f] = d
	}
	return in.Key(), nil
}

// keyInputs are the parts of a compile key every kind of recipe shares:
// the toolchain's identity (name, version, the digests of its commands),
// the platform, linkage and libc, the environment with placeholder paths
// (env adds a build system's variables to it), and the build date next to
// extra.
func (b *Builder) keyInputs(j Job, env func([]string) []string, extra map[string]string) (cache.Inputs, error) {
	extra["build_date"] = strconv.FormatInt(b.opts.BuildDate.Unix(), 10)
	in := cache.Inputs{
		Toolchain:        j.Def.Name,
		ToolchainVersion: j.Tool.Version,
		ToolchainDigests: map[string]string{},
		Platform:         string(j.Cell.Platform),
		Linkage:          string(j.Cell.Linkage),
		Libc:             j.Def.Linkage(j.Cell.Linkage).Libc,
		Env: env(toolchain.Env(toolchain.EnvConfig{
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
			return cache.Inputs{}, err
		}
		in.ToolchainDigests[n] = d
	}
	return in, nil
}

// imageKey covers what an image is made of besides the binary: the
// closure files (by path and stat, so a Debian update of a library
// invalidates it), the recipe's smoke arguments (the image's Cmd) and the
// labels' inputs.
func (b *Builder) imageKey(r *Result) string {
	h := sha256.New()
	fmt.Fprintf(h, "image/v2\x00%s\x00%s\x00%d\x00%q\x00%q\x00%q\x00%q\x00", r.CompileKey, r.BinarySHA256, b.opts.BuildDate.Unix(),
		r.Job.Recipe.Smoke.Args, r.Job.Recipe.Description, b.opts.Source, b.opts.Revision)
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
