package pipeline

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// The compile key changes with every input of a cell and not with where
// the repository or the cache are.
func TestCompileKey(t *testing.T) {
	base := t.TempDir()
	fakeCC := filepath.Join(base, "bin", "gcc")
	if err := os.MkdirAll(filepath.Dir(fakeCC), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fakeCC, []byte("compiler v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	// job makes the multifile recipe's gcc arm64 cell from a copy of the
	// recipe at dir.
	job := func(t *testing.T, dir string) Job {
		copyTree(t, filepath.Join(repoRoot(t), "recipes", "multifile"), dir)
		r, err := recipe.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := toolchain.Load(filepath.Join(repoRoot(t), "toolchains", "gcc.toml"))
		if err != nil {
			t.Fatal(err)
		}
		tgt, _ := d.Target(recipe.ARM64)
		return Job{
			Cell:   recipe.Cell{Recipe: r.Name, Platform: recipe.ARM64, Toolchain: "gcc", Linkage: recipe.Static},
			Recipe: r, Def: d,
			Tool: toolchain.Status{Def: d, Target: tgt, Available: true, Version: "12.2.0",
				Resolved: map[string]string{"aarch64-linux-gnu-gcc": fakeCC}},
		}
	}
	cfg := Options{CacheDir: filepath.Join(base, "cache-a"), BuildDate: time.Unix(1704067200, 0).UTC()}
	key := func(t *testing.T, cfg Options, j Job) string {
		t.Helper()
		k, err := New(cfg).compileKey(j)
		if err != nil {
			t.Fatal(err)
		}
		return k.String()
	}
	ref := key(t, cfg, job(t, filepath.Join(base, "one", "multifile")))

	t.Run("build directory and cache dir do not count", func(t *testing.T) {
		other := cfg
		other.CacheDir = filepath.Join(base, "elsewhere", "cache-b")
		if k := key(t, other, job(t, filepath.Join(base, "two", "deeper", "multifile"))); k != ref {
			t.Errorf("key changed with the directories: %s != %s", k, ref)
		}
	})
	changes := map[string]func(cfg *Options, j *Job, dir string){
		"source": func(_ *Options, _ *Job, dir string) { appendFile(t, filepath.Join(dir, "main.c"), "/* */\n") },
		"header": func(_ *Options, _ *Job, dir string) {
			appendFile(t, filepath.Join(dir, "lib", "geometry.h"), "/* */\n")
		},
		"library source": func(_ *Options, _ *Job, dir string) { appendFile(t, filepath.Join(dir, "lib", "area.c"), "/* */\n") },
		"flags":          func(_ *Options, j *Job, _ string) { j.Recipe.CFlags = append(j.Recipe.CFlags, "-O3") },
		"linkage":        func(_ *Options, j *Job, _ string) { j.Cell.Linkage = recipe.Dynamic },
		"platform": func(_ *Options, j *Job, _ string) {
			j.Cell.Platform = recipe.RISCV64
			j.Tool.Target, _ = j.Def.Target(recipe.RISCV64)
		},
		"toolchain version": func(_ *Options, j *Job, _ string) { j.Tool.Version = "12.3.0" },
		"compiler binary": func(_ *Options, j *Job, _ string) {
			other := filepath.Join(base, "bin2", "gcc")
			os.MkdirAll(filepath.Dir(other), 0o755)
			os.WriteFile(other, []byte("compiler v2"), 0o755)
			j.Tool.Resolved = map[string]string{"aarch64-linux-gnu-gcc": other}
		},
		"build date": func(c *Options, _ *Job, _ string) { c.BuildDate = c.BuildDate.Add(time.Second) },
	}
	for name, change := range changes {
		t.Run(name+" counts", func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "multifile")
			c := cfg
			j := job(t, dir)
			change(&c, &j, dir)
			if k := key(t, c, j); k == ref {
				t.Errorf("changing the %s kept the key %s", name, k)
			}
		})
	}
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// A cell comes from the compiler, then from the action cache, and is
// compiled again when its cache entry is corrupted, never restored from it.
func TestActionCache(t *testing.T) {
	cfg, j, fake := fakeJob(t, recipe.Static)
	calls := 0
	counting := func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		calls++
		return fake(ctx, c, env)
	}
	cfg.CacheDir = t.TempDir()
	store := &cache.Store{Dir: filepath.Join(cfg.CacheDir, "actions")}
	ctx := t.Context()
	run := func(want string) *Result {
		t.Helper()
		r := New(cfg, WithRunner(counting)).runCell(ctx, j)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if got := string(r.Origin); got != want {
			t.Fatalf("binary %s, want %s", got, want)
		}
		return r
	}
	first := run("compiled")
	rep := &Report{Jobs: []Job{j}, Results: map[string]*Result{j.Cell.String(): first}}
	if err := New(cfg).writeLayouts(rep); err != nil {
		t.Fatal(err)
	}
	if again := run("kept"); !again.ImageReused || again.Digest != first.Digest {
		t.Fatalf("a no-op run packed the image again (reused %v)", again.ImageReused)
	}
	os.RemoveAll(cfg.OutDir)
	if r := run("restored"); r.Digest != first.Digest {
		t.Fatalf("restored cell has digest %s, first %s", r.Digest, first.Digest)
	}
	// Flip a byte of every cached file.
	filepath.WalkDir(store.Dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Base(filepath.Dir(p)) == "files" {
			os.Chmod(p, 0o644)
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 0xff
			os.WriteFile(p, data, 0o644)
		}
		return nil
	})
	os.RemoveAll(cfg.OutDir)
	before := calls
	if r := run("compiled"); r.Digest != first.Digest {
		t.Fatalf("rebuilt cell has digest %s, first %s", r.Digest, first.Digest)
	}
	if calls == before {
		t.Fatal("the corrupted entry was used instead of compiling")
	}
}

// The smoke key changes with what the run is fed and expects, files of
// the recipe folder included, and not with where the folder is.
func TestSmokeKey(t *testing.T) {
	load := func(t *testing.T, dir, smoke string, files map[string]string) *recipe.Recipe {
		t.Helper()
		files["recipe.toml"] = "language = \"c\"\nsources = [\"main.c\"]\n[smoke]\n" + smoke
		files["main.c"] = "int main(void) { return 0; }\n"
		for n, b := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := recipe.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	folder := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "demo")
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	const digest = "sha256:0123"
	withFiles := "args = [\"-dc\"]\nstdin_file = \"in.gz\"\nstdout_file = \"out.txt\"\n"
	files := func() map[string]string { return map[string]string{"in.gz": "gz bytes", "out.txt": "text\n"} }
	ref := smokeKey(digest, load(t, folder(t), withFiles, files()))
	if k := smokeKey(digest, load(t, folder(t), withFiles, files())); k != ref {
		t.Errorf("the same recipe in another folder has another smoke key")
	}
	for name, change := range map[string]func(t *testing.T) *recipe.Recipe{
		"stdin_file's bytes": func(t *testing.T) *recipe.Recipe {
			f := files()
			f["in.gz"] = "other gz bytes"
			return load(t, folder(t), withFiles, f)
		},
		"stdout_file's bytes": func(t *testing.T) *recipe.Recipe {
			f := files()
			f["out.txt"] = "text!\n"
			return load(t, folder(t), withFiles, f)
		},
		"stdin text instead": func(t *testing.T) *recipe.Recipe {
			return load(t, folder(t), "args = [\"-dc\"]\nstdin = \"gz bytes\"\nstdout_file = \"out.txt\"\n", files())
		},
	} {
		if k := smokeKey(digest, change(t)); k == ref {
			t.Errorf("a change of %s keeps the smoke key", name)
		}
	}
	a := smokeKey(digest, load(t, folder(t), "stdin = \"a\"\nstdout = \"a\"\n", map[string]string{}))
	b := smokeKey(digest, load(t, folder(t), "stdin = \"b\"\nstdout = \"a\"\n", map[string]string{}))
	none := smokeKey(digest, load(t, folder(t), "stdout = \"a\"\n", map[string]string{}))
	if a == b || a == none {
		t.Errorf("the stdin text does not count: %s %s %s", a, b, none)
	}
}

// okprog is a make project in the recipe folder, as a user writes one.
var okprog = map[string]string{
	"main.c":   "int main(void) { return 0; }\n",
	"Makefile": "okprog: main.c\n\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ main.c\ninstall: okprog\n\tinstall -D -m 755 okprog $(DESTDIR)/usr/bin/okprog\n",
	recipe.FileName: "# a make project\ndescription = \"ok\"\nlanguage = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/okprog\"\n" +
		"[smoke]\nstdout = \"\"\n",
}

// projectJob is the gcc amd64 static cell of the recipe folder dir,
// written from files.
func projectJob(t *testing.T, dir string, files map[string]string) Job {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := toolchain.Load(filepath.Join(repoRoot(t), "toolchains", "gcc.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tgt, _ := d.Target(recipe.AMD64)
	return Job{
		Cell:   recipe.Cell{Recipe: r.Name, Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static},
		Recipe: r, Def: d, Tool: toolchain.Status{Def: d, Target: tgt, Available: true, Version: "12.2.0"},
	}
}

// A copy of a recipe folder under another name (cp -r okprog okprog2) is
// another build: its outputs are named after it, so it may not take the
// original's cache entry. A comment, the description or the smoke
// settings of recipe.toml change no compile key (they change no compile);
// a build field does.
func TestCompileKeyOfRecipeToml(t *testing.T) {
	b := New(Options{CacheDir: t.TempDir(), BuildDate: time.Unix(1704067200, 0).UTC()})
	key := func(t *testing.T, name string, files map[string]string) string {
		t.Helper()
		k, err := b.compileKey(projectJob(t, filepath.Join(t.TempDir(), name), files))
		if err != nil {
			t.Fatal(err)
		}
		return k.String()
	}
	with := func(toml string) map[string]string {
		f := maps.Clone(okprog)
		f[recipe.FileName] = toml
		return f
	}
	ref := key(t, "okprog", okprog)
	if k := key(t, "okprog", okprog); k != ref {
		t.Fatalf("the same recipe in another folder has another key")
	}
	if k := key(t, "okprog2", okprog); k == ref {
		t.Errorf("a copy under another name has the original's key %s", k)
	}
	toml := okprog[recipe.FileName]
	for name, changed := range map[string]string{
		"comment":           "# another comment\n" + toml,
		"description":       strings.Replace(toml, `"ok"`, `"still ok"`, 1),
		"smoke":             strings.Replace(toml, `stdout = ""`, "stdout_regexp = \"^$\"\nargs = [\"-v\"]\ntimeout = \"5s\"", 1),
		"exclusion":         toml + "[[exclude]]\nplatform = \"linux/riscv64\"\nreason = \"slow\"\n",
		"static smoke_args": toml + "[static]\nsmoke_args = [\"--static\"]\n",
	} {
		if k := key(t, "okprog", with(changed)); k != ref {
			t.Errorf("a change of the %s changed the compile key", name)
		}
	}
	if k := key(t, "okprog", with(strings.Replace(toml, "build =", "make_args = [\"V=1\"]\nbuild =", 1))); k == ref {
		t.Errorf("a change of make_args kept the compile key")
	}
	if k := key(t, "okprog", with(toml+"[static]\nmake_args = [\"V=1\"]\n")); k == ref {
		t.Errorf("a change of the static cells' make_args kept the static cell's compile key")
	}
}

// source.debian_patches_skip changes the source tree, so it is in the
// compile key (through the recipe's BuildDigest): each skip list has a
// key of its own, and none is the key of the whole series.
func TestCompileKeyOfDebianPatchesSkip(t *testing.T) {
	b := New(Options{CacheDir: t.TempDir(), BuildDate: time.Unix(1704067200, 0).UTC()})
	const toml = "language = \"c\"\nbuild = \"autotools\"\nbinary = \"usr/bin/demo\"\n[source]\ndebian = \"demo\"\nversion = \"1.0-1\"\n" +
		"debian_patches = true\nfiles = { \"demo_1.0.orig.tar.gz\" = \"sha256:" + "1111111111111111111111111111111111111111111111111111111111111111" +
		"\", \"demo_1.0-1.debian.tar.xz\" = \"sha256:" + "2222222222222222222222222222222222222222222222222222222222222222" + "\" }\n"
	keys := map[string]string{}
	for _, skip := range []string{"", "debian_patches_skip = [\"90_gnutls.patch\"]\n", "debian_patches_skip = [\"99_nss.patch\"]\n",
		"debian_patches_skip = [\"90_gnutls.patch\", \"99_nss.patch\"]\n"} {
		k, err := b.compileKey(projectJob(t, filepath.Join(t.TempDir(), "demo"), map[string]string{recipe.FileName: toml + skip}))
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := keys[k.String()]; ok {
			t.Errorf("skip list %q has the key of %q", skip, other)
		}
		keys[k.String()] = skip
	}
}
