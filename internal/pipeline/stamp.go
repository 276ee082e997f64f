package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// stampFile records, in a cell's out/bin folder, what its outputs were
// made from, so an unchanged cell is neither compiled nor packed again.
const stampFile = "cell.json"

// Stamp is the content of cell.json.
type Stamp struct {
	CompileKey   string      `json:"compile_key"`
	ImageKey     string      `json:"image_key"`
	BinarySHA256 string      `json:"binary_sha256"`
	ArchiveSize  int64       `json:"archive_size"`
	Digest       string      `json:"digest"`
	Sizes        image.Sizes `json:"sizes"`
	Smoke        *SmokeStamp `json:"smoke,omitempty"`
}

// SmokeStamp is a passed smoke run and what it ran.
type SmokeStamp struct {
	Key    string      `json:"key"`
	Result SmokeResult `json:"result"`
}

func readStamp(dir string) (*Stamp, bool) {
	data, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil {
		return nil, false
	}
	var s Stamp
	if json.Unmarshal(data, &s) != nil {
		return nil, false
	}
	return &s, true
}

func writeStamp(dir string, s *Stamp) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".cell-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", stampFile, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), filepath.Join(dir, stampFile))
}

// services are the shared helpers of a run's cells.
type services struct {
	run   toolchain.Runner
	memo  *digestMemo
	store *cache.Store // nil: no action cache
}

type servicesKey struct{}

func svc(ctx context.Context) *services {
	if s, ok := ctx.Value(servicesKey{}).(*services); ok {
		return s
	}
	return &services{run: toolchain.Exec}
}

// Placeholders stand for the machine's directories in cache keys: the key
// of a cell is the same wherever the repository and the cache are.
const (
	keySrc   = "/fromscratch/src"
	keyWork  = "/fromscratch/work"
	keyCache = "/fromscratch/cache"
)

// CompileKey is the action-cache key of a cell's compilation: toolchain
// identity (version and the digests of its commands), target, linkage,
// libc, the exact commands and environment (with placeholder paths), every
// input file of the recipe and the build date.
func CompileKey(cfg Config, j Job, memo *digestMemo) (cache.Key, error) {
	rc := *j.Recipe
	rc.Dir = keySrc
	plan := toolchain.Plan{
		Def: j.Def, Target: j.Tool.Target, Linkage: j.Cell.Linkage, Recipe: &rc,
		WorkDir: keyWork + "/obj", Output: keyWork + "/" + rc.Name,
	}
	in := cache.Inputs{
		Toolchain:        j.Def.Name,
		ToolchainVersion: j.Tool.Version,
		ToolchainDigests: map[string]string{},
		Platform:         string(j.Cell.Platform),
		Linkage:          string(j.Cell.Linkage),
		Libc:             j.Def.Linkage(j.Cell.Linkage).Libc,
		Env: toolchain.Env(toolchain.EnvConfig{
			PathDirs: []string{keyCache + "/bin"}, SourceDateEpoch: cfg.BuildDate.Unix(),
			CacheDir: keyCache, TempDir: keyCache + "/tmp",
		}),
		Files: map[string]string{},
		Extra: map[string]string{"schema": "1", "build_date": strconv.FormatInt(cfg.BuildDate.Unix(), 10)},
	}
	for _, s := range plan.Steps() {
		in.Argv = append(in.Argv, s.Args)
	}
	names := make([]string, 0, len(j.Tool.Resolved))
	for n := range j.Tool.Resolved {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d, err := memo.digest(j.Tool.Resolved[n])
		if err != nil {
			return cache.Key{}, err
		}
		in.ToolchainDigests[n] = d
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

// imageKey covers what an image is made of besides the binary: the
// closure files (by path and stat, so a Debian update of a library
// invalidates it), the recipe's smoke arguments (the image's Cmd) and the
// labels' inputs.
func imageKey(cfg Config, r *Result, compileKey string) string {
	h := sha256.New()
	fmt.Fprintf(h, "image/v1\x00%s\x00%s\x00%d\x00%q\x00", compileKey, r.BinarySHA256, cfg.BuildDate.Unix(), r.Job.Recipe.Smoke.Args)
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			e, _ := statEntry(f.Source)
			fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%d\x00", f.ImagePath, f.Source, e.Size, e.MtimeNS, e.Ino)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// smokeKey covers what a smoke run checks: the image and the expectation.
func smokeKey(digest string, r *Result) string {
	s := r.Job.Recipe.Smoke
	want := s.StdoutRegexp
	if s.Stdout != nil {
		want = "=" + *s.Stdout
	}
	h := sha256.Sum256([]byte(strings.Join([]string{"smoke/v1", digest, want, strconv.Itoa(s.ExitCode), fmt.Sprint(s.Args)}, "\x00")))
	return hex.EncodeToString(h[:])
}
