package cli

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/uptodate"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// A build that would change nothing is known from file metadata alone
// (internal/uptodate): a build that left every cell of its run built and
// smoke-passed (or not applicable) records the identity of every file of
// recipes/, the toolchain folder, fromscratch.toml and out/, and what an
// unchanged run prints; the next build with the same settings, program and
// revision, whose every recorded file is unchanged, prints that and
// returns, reading no recipe, image or digest and starting no process.
// Anything else builds as usual, which records again.

// noOp is one build's part in that: where its record is and its key.
type noOp struct {
	path string // the record: in the cache, named by out/'s absolute path
	key  string
	// inputs are recipes/, the toolchains and fromscratch.toml as they
	// were when the run started (a file edited while it ran then differs,
	// and the next run builds).
	inputs []uptodate.File
}

// noOpFor returns the no-op record of a build of recipes with cfg, or nil
// when such a build is never replayed: with the host's compilers (their
// versions are probed on every run, not locked), with a line per cell
// (-v), or appending to a GitHub step summary.
func (c *CLI) noOpFor(cfg Config, recipes []string) *noOp {
	if !cfg.Hermetic || cfg.Verbose || cfg.StepSummary != "" {
		return nil
	}
	program, err := programID()
	if err != nil {
		return nil
	}
	out, err := filepath.Abs(cfg.OutDir)
	if err != nil {
		return nil
	}
	settings := cfg
	settings.Environ, settings.SigningPassword = nil, "" // every setting is resolved into the others
	data, err := json.Marshal(struct {
		Program  string
		Version  string
		Config   Config
		Recipes  []string
		Limit    []string
		JSON     bool
		Revision string
	}{program, Version, settings, recipes, c.recipes, c.json, workspace.Revision(cfg.Root)})
	if err != nil {
		return nil
	}
	key, where := sha256.Sum256(data), sha256.Sum256([]byte(out))
	return &noOp{path: filepath.Join(cfg.CacheDir, "uptodate", hex.EncodeToString(where[:8])+".json"), key: hex.EncodeToString(key[:])}
}

// programID names the running program's code: Go's build ID, a hash of
// everything it was compiled from, read from its ELF note; for a program
// without one (-buildid= cleared), the identity of its file. Not the file's
// identity alone: mage's go build writes its magefile binary's mtime on
// every run, unchanged or not.
func programID() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if id := goBuildID(exe); id != "" {
		return "go build ID " + id, nil
	}
	f, err := uptodate.Snapshot([]string{exe}, nil)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("file %+v", f[0]), nil
}

// goBuildID is the Go build ID in the ELF note .note.go.buildid of the
// file at path (what go tool buildid prints), or "" if it has none.
func goBuildID(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	// An ELF note: namesz, descsz and type (4 bytes each), the name "Go"
	// padded to 4 bytes, then the build ID.
	if err != nil || len(data) < 16 {
		return ""
	}
	namesz, descsz := f.ByteOrder.Uint32(data[0:]), f.ByteOrder.Uint32(data[4:])
	start := 12 + (uint64(namesz)+3)&^3
	if namesz != 4 || string(data[12:14]) != "Go" || start+uint64(descsz) > uint64(len(data)) {
		return ""
	}
	id := string(data[start : start+uint64(descsz)])
	if id == "" || id == "redacted" {
		return ""
	}
	return id
}

// inputRoots are the files and folders a build reads besides out/ and the
// cache: the recipes, the toolchain folder and the project file.
func inputRoots(cfg Config) []string {
	roots := []string{filepath.Join(cfg.Root, "recipes"), cfg.ToolchainDir}
	if p := filepath.Join(cfg.Root, workspace.FileName); exists(p) {
		roots = append(roots, p)
	}
	return roots
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// replay prints what the recorded run would print and reports true when
// the record is there, names this run and nothing it lists has changed.
// Otherwise it forgets the record, since the build that follows may change
// what it lists, and takes the inputs' identity for the next record.
func (n *noOp) replay(cfg Config, out, log io.Writer) bool {
	if r := uptodate.Load(n.path, n.key); r != nil {
		io.WriteString(log, r.Stderr)
		io.WriteString(out, r.Stdout)
		return true
	}
	_ = uptodate.Forget(n.path)
	n.inputs, _ = uptodate.Snapshot(inputRoots(cfg), nil)
	return false
}

// record keeps what an unchanged rerun of rep prints, if every cell of rep
// was built and smoke-passed or is not applicable: a failed, unavailable
// or skipped cell is tried again by the next run, and a prebuilt recipe's
// file and libraries are the host's, which are not recorded.
func (c *CLI) record(n *noOp, cfg Config, rep *pipeline.Report) error {
	if n.inputs == nil || !replayable(cfg, rep) {
		return nil
	}
	again := rerun(rep)
	var stdout, stderr bytes.Buffer
	summary(&stderr, cfg, again)
	if c.json {
		if err := writeJSON(&stdout, buildJSON(cfg, "build", again, nil)); err != nil {
			return err
		}
	}
	outputs, err := uptodate.Snapshot([]string{cfg.OutDir}, outdir.Path(cfg.OutDir).RunState)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // something was removed meanwhile: no record
		}
		return err
	}
	files := append(n.inputs, outputs...)
	return uptodate.Save(n.path, uptodate.Record{Key: n.key, Files: files, Stdout: stdout.String(), Stderr: stderr.String()})
}

// replayable: every cell of rep's run is built with its smoke run passed
// (or, without smoke runs, as it was), or not applicable.
func replayable(cfg Config, rep *pipeline.Report) bool {
	if rep == nil || rep.Matrix == nil || len(rep.Failed(cfg.RequireAll)) > 0 {
		return false
	}
	for _, j := range rep.Jobs {
		if j.Recipe.Prebuilt != "" {
			return false
		}
		switch j.Status {
		case "":
		case matrix.StatusNotApplicable:
			continue
		default:
			return false
		}
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil {
			return false
		}
		if cfg.Smoke && r.Smoke.Status != smoke.StatusPass {
			return false
		}
	}
	return true
}

// rerun is rep as an unchanged run after it reports it: every binary kept
// from out/bin, every image unchanged, every smoke pass the one recorded
// for the same image.
func rerun(rep *pipeline.Report) *pipeline.Report {
	again := *rep
	again.Results = make(map[string]*pipeline.Result, len(rep.Results))
	for k, r := range rep.Results {
		r2 := *r
		r2.Origin, r2.ImageReused = pipeline.OriginKept, true
		r2.SmokeRecorded = r.Smoke.Status == smoke.StatusPass
		again.Results[k] = &r2
	}
	return &again
}
