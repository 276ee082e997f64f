package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/scaffold"
	"github.com/fromscratch/fromscratch/internal/source"
	"github.com/fromscratch/fromscratch/internal/tarball"
)

// InitDir writes recipes/<name>/ for the program in the folder path (name
// is the folder's): a copy of the folder, which becomes the recipe's
// source tree, with a recipe.toml whose build system is guessed from it.
// It refuses an existing recipe and prints what to check next.
func (c *CLI) InitDir(_ context.Context, path string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	name := filepath.Base(abs)
	if err := recipe.ValidName(name); err != nil {
		return fmt.Errorf("init dir: the folder's name is the recipe's: %w; copy the folder under an allowed name", err)
	}
	g := scaffold.GuessTree(os.DirFS(abs))
	if err := g.Check(path); err != nil {
		return fmt.Errorf("init dir: %w", err)
	}
	origin := "the folder " + name
	text := scaffold.Render(scaffold.Spec{Name: name, Origin: origin, Guess: g})
	r, err := scaffold.WriteFolder(filepath.Join(cfg.Root, "recipes"), name, abs, text)
	if err != nil {
		return fmt.Errorf("init dir: %w", err)
	}
	fmt.Fprintf(c.out, "wrote recipes/%s/ (a copy of %s: edit the copy, it is what is built) and its recipe.toml\n", name, path)
	c.nextSteps(r, g)
	return nil
}

// InitDebian writes recipes/<name>/recipe.toml for the Debian source
// package arg ("NAME" or "NAME=VERSION", the suite's newest when no
// version is given): the upstream tarball pinned by its sha256 from the
// package's .dsc (as source pin prints it, and kept in the source store),
// and the build system guessed from the unpacked tarball. It refuses an
// existing recipe and prints what to check next.
func (c *CLI) InitDebian(ctx context.Context, arg string) error {
	name, version, _ := strings.Cut(arg, "=")
	if !recipe.ValidDebianName(name) {
		return usageError{fmt.Errorf("init debian: %q is not a Debian source package name (allowed: lower-case letters, digits, + - and ., starting with a letter or digit)", name)}
	}
	if version != "" && !recipe.ValidDebianVersion(version) {
		return usageError{fmt.Errorf("init debian: %q is not a Debian version (allowed: the exact version, e.g. 2.10-3, or none for the newest)", version)}
	}
	if err := recipe.ValidName(name); err != nil {
		return fmt.Errorf("init debian: %w: write recipes/<another name>/recipe.toml from the output of fromscratch source pin %s", err, arg)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	recipes := filepath.Join(cfg.Root, "recipes")
	if _, err := os.Lstat(filepath.Join(recipes, name)); err == nil {
		return fmt.Errorf("init debian: %w", &scaffold.ExistsError{Dir: "recipes/" + name})
	}
	dsc, err := pinDebian(ctx, cfg.CacheDir, pipeline.DebianRun(c.run), name, version)
	if err != nil {
		return fmt.Errorf("init debian %s: %w", arg, err)
	}
	orig, debianTar := debianTarballs(dsc)
	if orig.Name == "" {
		return fmt.Errorf("init debian %s: %s %s has no .orig.tar.* (a native package, format %s): recipes build from an upstream tarball", arg, dsc.Source, dsc.Version, dsc.Format)
	}
	g, err := guessTarball(cfg.CacheDir, orig)
	if err != nil {
		return fmt.Errorf("init debian %s: %w", arg, err)
	}
	origin := fmt.Sprintf("Debian %s %s", dsc.Source, dsc.Version)
	text := scaffold.Render(scaffold.Spec{Name: name, Origin: origin, Guess: g, Source: debianSourceTOML(dsc, orig, debianTar)})
	r, err := scaffold.WriteRecipe(recipes, name, text)
	if err != nil {
		return fmt.Errorf("init debian: %w", err)
	}
	fmt.Fprintf(c.out, "wrote recipes/%s/recipe.toml (%s, %s pinned by its sha256)\n", name, origin, orig.Name)
	if dsc.BuildDepends != "" {
		fmt.Fprintf(c.out, "Debian builds it with: %s (libraries among them may need recipes of their own, named in depends)\n", dsc.BuildDepends)
	}
	c.nextSteps(r, g)
	return nil
}

// debianTarballs are the upstream and packaging tarballs of a .dsc.
func debianTarballs(dsc *debian.Dsc) (orig, deb debian.DscFile) {
	for _, f := range dsc.Files {
		switch {
		case strings.Contains(f.Name, ".orig.tar.") && !strings.HasSuffix(f.Name, ".asc"):
			orig = f
		case strings.Contains(f.Name, ".debian.tar."):
			deb = f
		}
	}
	return orig, deb
}

// debianSourceTOML is the [source] table pinning the upstream tarball,
// with the packaging tarball's pin in a comment for debian_patches.
func debianSourceTOML(dsc *debian.Dsc, orig, deb debian.DscFile) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[source]\ndebian = %s\nversion = %s\n", strconv.Quote(dsc.Source), strconv.Quote(dsc.Version))
	fmt.Fprintf(&b, "files = { %s = %s }\n", strconv.Quote(orig.Name), strconv.Quote("sha256:"+orig.SHA256))
	if deb.Name != "" {
		fmt.Fprintf(&b, "# With Debian's patches: debian_patches = true, and in files:\n#   %s = %s\n", strconv.Quote(deb.Name), strconv.Quote("sha256:"+deb.SHA256))
	}
	return b.String()
}

// guessTarball unpacks the upstream tarball from the source store (its
// top folder stripped, as a build does) into a temporary folder of the
// cache and guesses its build system.
func guessTarball(cache string, f debian.DscFile) (scaffold.Guess, error) {
	tmpRoot := filepath.Join(cache, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return scaffold.Guess{}, err
	}
	tmp, err := os.MkdirTemp(tmpRoot, "init"+pipeline.TempMark)
	if err != nil {
		return scaffold.Guess{}, err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")
	if err := tarball.Extract((&source.Store{Cache: cache}).Path(f.SHA256), tree, 1); err != nil {
		return scaffold.Guess{}, fmt.Errorf("%s: %w", f.Name, err)
	}
	g := scaffold.GuessTree(os.DirFS(tree))
	return g, g.Check(f.Name)
}

// nextSteps prints what to check in the new recipe and how to build it.
func (c *CLI) nextSteps(r *recipe.Recipe, g scaffold.Guess) {
	file := "recipes/" + r.Name + "/recipe.toml"
	fmt.Fprintf(c.out, "build = %q, guessed from %s.\n", g.Build, g.Because)
	fmt.Fprintln(c.out, "Next:")
	if g.Build == recipe.BuildFiles {
		fmt.Fprintf(c.out, "  1. check %s: sources, and include_dirs, defines or libraries the program needs\n", file)
	} else {
		fmt.Fprintf(c.out, "  1. check %s: binary (where make install puts the program), the build's arguments and flags\n", file)
	}
	fmt.Fprintf(c.out, "  2. fill in [smoke] there: the args of a run and what it must print (as written, any output passes if it exits 0)\n")
	fmt.Fprintf(c.out, "  3. build it for amd64 with gcc: fromscratch build %s --platform linux/amd64 --toolchain gcc\n", r.Name)
	fmt.Fprintf(c.out, "  4. then for every platform and toolchain: fromscratch build %s (a failed cell keeps its build.log under out/bin/%s/)\n", r.Name, r.Name)
}
