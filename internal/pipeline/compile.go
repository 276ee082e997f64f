package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/spell"
)

// errNotHere is what a way of obtaining a binary returns when it does not
// apply; the next way is tried.
var errNotHere = errors.New("not here")

// binaryWays are the ways to put a cell's binary and build.log in out/bin,
// tried in order until one applies.
var binaryWays = []struct {
	origin Origin
	get    func(b *Builder, ctx context.Context, r *Result) error
}{
	{OriginTaken, (*Builder).take},       // image:all takes out/bin as it is; a prebuilt recipe copies its file
	{OriginKept, (*Builder).keep},        // out/bin holds what this compile key made
	{OriginRestored, (*Builder).restore}, // the action cache has it
	{OriginCompiled, (*Builder).compileNow},
}

// compileKey is the action-cache key of the cell's build, as its kind
// computes it: the toolchain's identity (version and the digests of its
// commands), target, linkage, libc, the exact commands and environment
// (with placeholder paths), every input file of the recipe and the build
// date.
func (b *Builder) compileKey(j Job) (cache.Key, error) { return j.kind().key(b, j) }

// compile obtains the cell's binary by the first way that applies.
func (b *Builder) compile(ctx context.Context, r *Result) error {
	if !r.Job.takesBinary(b.opts) {
		key, err := b.compileKey(r.Job)
		if err == nil {
			key, err = b.notedKey(r.Job, key)
		}
		if err != nil {
			return fmt.Errorf("computing the cache key: %w", err)
		}
		r.key, r.CompileKey = key, key.String()
	}
	for _, w := range binaryWays {
		if w.origin == OriginRestored && b.store != nil && !r.Job.takesBinary(b.opts) {
			// Not in out/bin: if another run is building this cell now,
			// wait for it, then restore its result instead of building
			// it a second time.
			release, err := b.store.Store.Claim(ctx, r.key)
			if err != nil {
				return err
			}
			defer release()
		}
		err := w.get(b, ctx, r)
		if errors.Is(err, errNotHere) {
			continue
		}
		r.Origin = w.origin
		return err
	}
	return errors.New("no way to obtain the binary") // compileNow always applies
}

func (j Job) takesBinary(o Options) bool { return o.ReuseBinaries || j.Recipe.Prebuilt != "" }

// take uses the binary already in out/bin (image:all) or, for a prebuilt
// recipe, copies the named file there.
func (b *Builder) take(_ context.Context, r *Result) error {
	if !r.Job.takesBinary(b.opts) {
		return errNotHere
	}
	dir := b.cellDir(r.Job.Cell)
	bin := filepath.Join(dir, r.Job.Recipe.Name)
	if r.Job.Recipe.Prebuilt != "" {
		if err := atomicfile.Copy(r.Job.Recipe.Prebuilt, bin, 0o755); err != nil {
			return err
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no binary at %s (run %s first)", b.rel(bin), spell.Command("build:all"))
	}
	b.found(r, dir)
	sum, err := b.memo.Digest(bin)
	r.BinarySHA256 = sum
	if st := readStamp(dir); err == nil && st != nil && st.BinarySHA256 == sum {
		// What build:all recorded of this binary: its key (so the image
		// key is the one build:all computes) and its smoke pass carry over.
		r.stamp, r.CompileKey = st, st.CompileKey
	}
	return err
}

// keep uses out/bin when its stamp says the same key made it.
func (b *Builder) keep(_ context.Context, r *Result) error {
	if b.opts.NoCache {
		return errNotHere
	}
	dir := b.cellDir(r.Job.Cell)
	st := readStamp(dir)
	sum, ok := st.upToDate(r.CompileKey, filepath.Join(dir, r.Job.Recipe.Name), b.memo.Digest)
	if !ok {
		return errNotHere
	}
	r.stamp, r.BinarySHA256 = st, sum
	b.found(r, dir)
	return nil
}

// restore copies the cell's outputs from the action cache (local, then remote).
func (b *Builder) restore(ctx context.Context, r *Result) error {
	if b.store == nil {
		return errNotHere
	}
	tmp, err := b.tempDir(r)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	_, hit, err := b.store.Get(ctx, r.key, tmp)
	if err != nil {
		return fmt.Errorf("restoring from the cache: %w", err)
	}
	if !hit {
		return errNotHere
	}
	return b.place(r, tmp, nil)
}

// compileNow builds the cell by its kind and stores a success in the
// action cache.
func (b *Builder) compileNow(ctx context.Context, r *Result) error {
	j := r.Job
	tmp, err := b.tempDir(r)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	log, files, berr := j.kind().build(ctx, b, j, tmp)
	if berr != nil && len(bytes.TrimSpace(log)) == 0 {
		log = []byte("error: " + berr.Error() + "\n") // the error names the log: it is never empty
	}
	if berr == nil {
		berr = b.addNote(ctx, j, files)
	}
	if err := os.WriteFile(filepath.Join(tmp, "build.log"), log, 0o644); err != nil {
		return fmt.Errorf("writing build.log: %w", err)
	}
	if berr == nil && b.store != nil {
		files["build.log"] = filepath.Join(tmp, "build.log")
		if err := b.store.Put(ctx, r.key, files, map[string]string{"cell": j.Cell.String()}); err != nil {
			return fmt.Errorf("storing in the cache: %w", err)
		}
	}
	return b.place(r, tmp, berr)
}

// tempDir is a fresh folder next to the cell's, renamed into place when
// complete. Its name marks it as fromscratch's temporary (see sweep).
func (b *Builder) tempDir(r *Result) (string, error) {
	parent := filepath.Dir(b.cellDir(r.Job.Cell))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("creating output dir: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+r.Job.Cell.Variant()+TempMark)
	if err != nil {
		return "", fmt.Errorf("creating temp dir: %w", err)
	}
	return tmp, nil
}

// TempMark is in the name of every temporary file or folder the engine
// makes in out/, so that what a killed run left can be found and removed.
const TempMark = outdir.TempMark

// place replaces the cell's folder whole with tmp, also when the build
// failed, so its build.log is the one of this run.
func (b *Builder) place(r *Result, tmp string, berr error) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	dir := b.cellDir(r.Job.Cell)
	if err := atomicfile.ReplaceDir(tmp, dir); err != nil {
		return fmt.Errorf("moving output into place: %w", err)
	}
	r.Log = filepath.Join(dir, "build.log")
	if berr != nil {
		return fmt.Errorf("%w (log: %s)", berr, b.rel(r.Log))
	}
	b.found(r, dir)
	sum, err := b.memo.Digest(r.Binary)
	r.BinarySHA256 = sum
	return err
}

// found records the binary and log of the cell's folder and the log's
// warnings.
func (b *Builder) found(r *Result, dir string) {
	r.Binary = filepath.Join(dir, r.Job.Recipe.Name)
	r.Log = filepath.Join(dir, "build.log")
	if log, err := os.ReadFile(r.Log); err == nil {
		r.Warnings = warnings(log)
	}
}

// warnings are the recipe's compiler warnings in a build log. A warning
// about a file of the toolchain's own (under $CACHE: zig prints them while
// it builds its libc, only when its cache is cold) is not the recipe's, and
// would make the matrix depend on the state of zig's cache.
func warnings(log []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.Contains(line, "warning:") && !strings.HasPrefix(line, "$CACHE/") {
			out = append(out, line)
		}
	}
	return out
}
