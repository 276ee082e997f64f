package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// compile puts the cell's binary and build.log in out/bin: kept when the
// cell's stamp says they were made from the same inputs, restored from the
// action cache, or compiled (and stored in the cache). A prebuilt recipe's
// file is copied; image:all takes the binary already there.
func compile(ctx context.Context, cfg Config, r *Result) error {
	j := r.Job
	final := Dir(cfg.OutDir, j.Cell)
	if cfg.ReuseBinaries || j.Recipe.Prebuilt != "" {
		if err := reuse(cfg, r, final); err != nil {
			return err
		}
		sum, err := cache.FileDigest(r.Binary)
		r.BinarySHA256 = sum
		return err
	}
	sv := svc(ctx)
	key, err := CompileKey(cfg, j, sv.memo)
	if err != nil {
		return fmt.Errorf("computing the cache key: %w", err)
	}
	r.CompileKey = key.String()
	// Unchanged since the last run: out/bin already holds this binary.
	if st, ok := readStamp(final); ok && !cfg.NoCache && st.CompileKey == r.CompileKey {
		bin := filepath.Join(final, j.Recipe.Name)
		if sum, err := cache.FileDigest(bin); err == nil && sum == st.BinarySHA256 {
			r.Binary, r.Log, r.BinarySHA256, r.UpToDate, r.stamp = bin, filepath.Join(final, "build.log"), sum, true, st
			if log, err := os.ReadFile(r.Log); err == nil {
				r.Warnings = warnings(log)
			}
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("creating output dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+j.Cell.Variant()+"-")
	if err != nil {
		return fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(cfg.CacheDir, "tmp"), 0o755); err != nil {
		return fmt.Errorf("creating temp dir: %w", err)
	}
	if sv.store != nil && !cfg.NoCache {
		if _, hit, err := sv.store.Get(key, tmp); err != nil {
			return fmt.Errorf("restoring from the cache: %w", err)
		} else if hit {
			r.Restored = true
			return place(cfg, r, tmp, final, nil)
		}
	}
	plan := toolchain.Plan{
		Def: j.Def, Target: j.Tool.Target, Linkage: j.Cell.Linkage, Recipe: j.Recipe,
		Resolved: j.Tool.Resolved,
		WorkDir:  filepath.Join(tmp, "obj"),
		Output:   filepath.Join(tmp, j.Recipe.Name),
	}
	log, berr := toolchain.Build(ctx, sv.run, plan, toolchain.Env(envConfig(cfg, j.Tool.PathDirs)))
	r.Compiled = true
	log = scrubPaths(log, cfg, tmp)
	if err := os.RemoveAll(plan.WorkDir); err != nil {
		return fmt.Errorf("removing objects: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "build.log"), log, 0o644); err != nil {
		return fmt.Errorf("writing build.log: %w", err)
	}
	if berr == nil && sv.store != nil {
		files := map[string]string{j.Recipe.Name: filepath.Join(tmp, j.Recipe.Name), "build.log": filepath.Join(tmp, "build.log")}
		if err := sv.store.Put(key, files, map[string]string{"cell": j.Cell.String()}); err != nil {
			return fmt.Errorf("storing in the cache: %w", err)
		}
	}
	return place(cfg, r, tmp, final, berr)
}

// reuse takes the binary of a cell from out/bin (image:all) or, for a
// prebuilt recipe, copies the named file there.
func reuse(cfg Config, r *Result, final string) error {
	bin := filepath.Join(final, r.Job.Recipe.Name)
	if r.Job.Recipe.Prebuilt != "" {
		if err := os.MkdirAll(final, 0o755); err != nil {
			return fmt.Errorf("creating output dir: %w", err)
		}
		if err := copyFile(r.Job.Recipe.Prebuilt, bin); err != nil {
			return err
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no binary at %s (run go tool mage build:all first)", rel(cfg, bin))
	}
	r.Binary = bin
	r.Log = filepath.Join(final, "build.log")
	if log, err := os.ReadFile(r.Log); err == nil {
		r.Warnings = warnings(log)
	}
	return nil
}

// copyFile copies src to dst through a temp file renamed into place.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".copy-")
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// place replaces the cell's folder whole with tmp, also when the build
// failed, so its build.log is the one of this run.
func place(cfg Config, r *Result, tmp, final string, berr error) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("removing old output: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("moving output into place: %w", err)
	}
	r.Log = filepath.Join(final, "build.log")
	if berr != nil {
		return fmt.Errorf("%w (log: %s)", berr, rel(cfg, r.Log))
	}
	r.Binary = filepath.Join(final, r.Job.Recipe.Name)
	if log, err := os.ReadFile(r.Log); err == nil {
		r.Warnings = warnings(log)
	}
	sum, err := cache.FileDigest(r.Binary)
	r.BinarySHA256 = sum
	return err
}

// scrubPaths replaces the machine's directories in a log with stable names.
func scrubPaths(log []byte, cfg Config, tmp string) []byte {
	log = bytes.ReplaceAll(log, []byte(tmp), []byte("$OUT"))
	log = bytes.ReplaceAll(log, []byte(cfg.Root), []byte("$ROOT"))
	return bytes.ReplaceAll(log, []byte(cfg.CacheDir), []byte("$CACHE"))
}

func warnings(log []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, "warning:") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}
