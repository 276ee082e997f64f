package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// helperEnv makes the test binary act as one of the helper processes of
// the multi-process tests instead of running tests; os.Args[1:] say which.
const helperEnv = "CACHE_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helperMain runs one helper process and returns its exit code. Failures
// go to stderr, one per line.
func helperMain(args []string) int {
	var errs []error
	switch {
	case len(args) == 5 && args[0] == "hammer":
		seed, _ := strconv.ParseUint(args[2], 10, 64)
		ops, _ := strconv.Atoi(args[3])
		var hits int
		hits, errs = hammer(args[1], seed, ops, 2, args[4] == "corrupt-files")
		if hits == 0 {
			errs = append(errs, errors.New("no Get hit"))
		}
	case len(args) == 4 && args[0] == "memo":
		rounds, _ := strconv.Atoi(args[3])
		errs = memoWorker(args[1], args[2], rounds)
	default:
		errs = []error{fmt.Errorf("unknown helper arguments %q", args)}
	}
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, err)
	}
	if len(errs) > 0 {
		return 1
	}
	return 0
}

// startHelpers starts n copies of the test binary as helpers, each with
// args(i), and returns a function that waits for all of them and reports
// every failure.
func startHelpers(t *testing.T, n int, env []string, args func(i int) []string) (wait func()) {
	t.Helper()
	type proc struct {
		cmd *exec.Cmd
		out *bytes.Buffer
	}
	var procs []proc
	for i := range n {
		cmd := exec.Command(os.Args[0], args(i)...)
		cmd.Env = append(append(os.Environ(), helperEnv+"=1"), env...)
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, proc{cmd, out})
	}
	return func() {
		t.Helper()
		for i, p := range procs {
			if err := p.cmd.Wait(); err != nil {
				t.Errorf("helper %d %q: %v\n%s", i, p.cmd.Args[1:], err, p.out)
			}
		}
	}
}

// stressKeys is how many keys the hammers share: few, so that they
// collide on every entry all the time.
const stressKeys = 3

// stressCase is the entry of one key: files and meta are a function of i,
// so any process can tell the right bytes from wrong ones.
func stressCase(i int) (Key, map[string][]byte, map[string]string) {
	k := Inputs{Toolchain: "stress", Extra: map[string]string{"i": strconv.Itoa(i)}}.Key()
	app := make([]byte, 48<<10+i*4099)
	for j := range app {
		app[j] = byte(j*(i+3) + j>>9)
	}
	data := map[string][]byte{
		"bin/app":       app,
		"lib/libx.so":   []byte(strings.Repeat("lib "+strconv.Itoa(i), 50)),
		"empty":         {},
		"manifest.json": []byte("not the manifest " + strconv.Itoa(i)),
	}
	return k, data, map[string]string{"i": strconv.Itoa(i)}
}

// hammer runs workers goroutines that each do ops random operations on the
// store in dir: Put, Get, Prune, Clear, Stats, and damage to entries
// (truncated or deleted manifest, deleted file; with corruptFiles also a
// file truncated in place, which must not be used with hard-link restores
// because it changes the outputs that share the inode). It returns every
// failed call and every Get hit whose bytes were wrong, and counts the hits
// (a run without hits would have tested nothing).
func hammer(dir string, seed uint64, ops, workers int, corruptFiles bool) (hits int, errs []error) {
	s := Store{Dir: dir, Link: os.Getenv(LinkEnv) == "1"}
	scratch, err := os.MkdirTemp(filepath.Dir(dir), "hammer-")
	if err != nil {
		return 0, []error{err}
	}
	defer os.RemoveAll(scratch)
	type cse struct {
		k     Key
		data  map[string][]byte
		meta  map[string]string
		files map[string]string
	}
	var cases []cse
	for i := range stressKeys {
		k, data, meta := stressCase(i)
		c := cse{k: k, data: data, meta: meta, files: map[string]string{}}
		for name, b := range data {
			p := filepath.Join(scratch, "src", strconv.Itoa(i), filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return 0, []error{err}
			}
			if err := os.WriteFile(p, b, 0o755); err != nil {
				return 0, []error{err}
			}
			c.files[name] = p
		}
		cases = append(cases, c)
	}

	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for range ops {
				c := cases[r.IntN(len(cases))]
				entry := s.entryDir(c.k)
				switch n := r.IntN(100); {
				case n < 30:
					if err := s.Put(c.k, c.files, c.meta); err != nil {
						fail(fmt.Errorf("Put: %w", err))
					}
				case n < 75:
					dst, err := os.MkdirTemp(scratch, "dst-")
					if err != nil {
						fail(err)
						continue
					}
					e, ok, err := s.Get(c.k, dst)
					switch {
					case err != nil:
						fail(fmt.Errorf("Get: %w", err))
					case ok:
						mu.Lock()
						hits++
						mu.Unlock()
						if err := checkRestored(dst, e, c.data, c.meta); err != nil {
							fail(fmt.Errorf("Get hit with wrong content: %w", err))
						}
					default:
						if err := checkRestored(dst, Entry{}, nil, nil); err != nil {
							fail(fmt.Errorf("Get miss left files: %w", err))
						}
					}
					os.RemoveAll(dst)
				case n < 81:
					if _, _, err := s.Prune(0, time.Now()); err != nil {
						fail(fmt.Errorf("Prune: %w", err))
					}
				case n < 83:
					if err := s.Clear(); err != nil {
						fail(fmt.Errorf("Clear: %w", err))
					}
				case n < 86:
					if _, _, err := s.Stats(); err != nil {
						fail(fmt.Errorf("Stats: %w", err))
					}
				case n < 91:
					p := filepath.Join(entry, manifestName)
					os.Chmod(p, 0o644)
					os.Truncate(p, int64(r.IntN(40)))
				case n < 95:
					os.Remove(filepath.Join(entry, manifestName))
				case n < 98:
					os.Remove(filepath.Join(entry, filesDir, "lib", "libx.so"))
				default:
					if corruptFiles {
						p := filepath.Join(entry, filesDir, "bin", "app")
						os.Chmod(p, 0o644)
						os.Truncate(p, int64(r.IntN(1000)))
					}
				}
			}
		})
	}
	wg.Wait()
	return hits, errs
}

// checkRestored checks that dst holds exactly the files of data with their
// bytes, and that e describes them.
func checkRestored(dst string, e Entry, data map[string][]byte, meta map[string]string) error {
	var found []string
	err := filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dst, p)
		name := filepath.ToSlash(rel)
		found = append(found, name)
		want, ok := data[name]
		if !ok {
			return fmt.Errorf("unexpected file %s", name)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, want) {
			return fmt.Errorf("%s has %d bytes (sha256 %s), want %d (%s)", name, len(b), sha(b), len(want), sha(want))
		}
		if e.Files[name] != sha(want) {
			return fmt.Errorf("Entry.Files[%s] = %s, want %s", name, e.Files[name], sha(want))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(found) != len(data) || len(e.Files) != len(data) {
		return fmt.Errorf("restored %v, entry lists %d files, want %d", found, len(e.Files), len(data))
	}
	if e.Meta["i"] != meta["i"] {
		return fmt.Errorf("meta %v, want %v", e.Meta, meta)
	}
	return nil
}

// checkQuiet checks the store once no one uses it: no tmp-* directory is
// left, and every key can be Put and restored.
func checkQuiet(t *testing.T, dir string) {
	t.Helper()
	s := Store{Dir: dir, Link: os.Getenv(LinkEnv) == "1"}
	leftTmp(t, s)
	src := t.TempDir()
	for i := range stressKeys {
		k, data, meta := stressCase(i)
		files := map[string]string{}
		for name, b := range data {
			p := filepath.Join(src, strconv.Itoa(i), filepath.FromSlash(name))
			writeFile(t, p, b, 0o644)
			files[name] = p
		}
		if err := s.Put(k, files, meta); err != nil {
			t.Fatal(err)
		}
		dst := t.TempDir()
		e, ok, err := s.Get(k, dst)
		if !ok || err != nil {
			// The hammers may have left a damaged entry that Put kept;
			// Get has removed it, so a second round must hit.
			if err := s.Put(k, files, meta); err != nil {
				t.Fatal(err)
			}
			if e, ok, err = s.Get(k, dst); !ok || err != nil {
				t.Fatalf("Get of key %d after the hammers = %v, %v; want a hit", i, ok, err)
			}
		}
		if err := checkRestored(dst, e, data, meta); err != nil {
			t.Errorf("key %d: %v", i, err)
		}
	}
}

// TestStressGoroutines hammers one store from goroutines of one process.
func TestStressGoroutines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	hits, errs := hammer(dir, 1, 250, 6, true)
	for _, err := range errs {
		t.Error(err)
	}
	t.Logf("%d Get hits", hits)
	if hits == 0 {
		t.Error("no Get hit")
	}
	checkQuiet(t, dir)
}

// TestStressProcesses hammers one store from several processes, each with
// several goroutines, and from this process at the same time: two
// build:all runs sharing a checkout. With hard-link restores, files are
// damaged only by deletion, as a tool editing its output in place would
// change the outputs that share the inode too.
func TestStressProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts helper processes")
	}
	for _, mode := range []struct {
		name    string
		env     []string
		corrupt string
	}{
		{"copy", []string{LinkEnv + "=0"}, "corrupt-files"},
		{"link", []string{LinkEnv + "=1"}, "no-file-corruption"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			wait := startHelpers(t, 3, mode.env, func(i int) []string {
				return []string{"hammer", dir, strconv.Itoa(100 + i), "200", mode.corrupt}
			})
			hits, errs := hammer(dir, 7, 200, 2, mode.name == "copy")
			for _, err := range errs {
				t.Error(err)
			}
			t.Logf("%d Get hits in this process", hits)
			wait()
			checkQuiet(t, dir)
		})
	}
}
