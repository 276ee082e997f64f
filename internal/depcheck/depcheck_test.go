package depcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/fromscratch/fromscratch/"

// leaves are the packages of one noun each. They import no project
// package but recipe (the vocabulary) and the helpers.
var leaves = []string{"cache", "debian", "elfdeps", "image", "matrix", "release", "scaffold", "shard", "signature", "smoke", "source", "toolchain", "uptodate", "workspace"}

// helpers are small packages every floor may use: atomicfile, digest,
// download and spell (no project imports) and tarball (only atomicfile).
var helpers = []string{"atomicfile", "digest", "download", "spell", "tarball"}

// features are the packages of one feature each above the engine
// (benchmarks, the reproducibility check, the shard merge, the release and
// its push): they import the engine and the leaves, the front door imports
// them, and they do not import one another.
var features = []string{"bench", "merge", "publish", "repro"}

// rules says, per package (relative to the module), which project
// packages it may import. A package not listed may import none.
var rules = map[string][]string{
	"internal/recipe":     {},
	"internal/atomicfile": {},
	"internal/digest":     {},
	"internal/download":   {},
	"internal/spell":      {},
	"internal/tarball":    {"atomicfile"},
	"internal/testutil":   {},
	"internal/depcheck":   {},
	// outdir names every path of out/, with the file names of matrix and
	// shard; the engine and everyone above it write out/ through it.
	"internal/outdir":   slices.Concat(helpers, []string{"recipe", "matrix", "shard"}),
	"internal/pipeline": slices.Concat(leaves, helpers, []string{"recipe", "outdir"}),
	"internal/cli":      slices.Concat(leaves, features, helpers, []string{"recipe", "outdir", "pipeline", "bazelcheck"}),
	// bazelcheck starts gazelle, buildifier and actionlint through a
	// toolchain.Runner.
	"internal/bazelcheck": {"toolchain"},
	"magefiles":           {"cli", "workspace", "bazelcheck", "mage"},
	// mage is the targets a project's magefile imports (mage:import): one
	// line each over cli.
	"mage":            {"cli"},
	"cmd/fromscratch": {"cli", "spell", "workspace"},
}

func init() {
	for _, l := range leaves {
		rules["internal/"+l] = append([]string{"recipe"}, helpers...)
	}
	for _, f := range features {
		rules["internal/"+f] = slices.Concat(leaves, helpers, []string{"recipe", "outdir", "pipeline"})
	}
}

// processStarters may import os/exec; everyone else goes through a
// toolchain.Runner.
var processStarters = []string{"internal/toolchain", "internal/smoke"}

// envReaders may read environment variables.
var envReaders = []string{"internal/cli"}

type file struct {
	pkg  string // relative to the module: internal/cli
	path string
	ast  *ast.File
	fset *token.FileSet
}

// sources parses every non-test Go file of the repository (tests may
// import what they need to check the real thing).
func sources(t *testing.T) []file {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var files []file
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "out") && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		full, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		full.Imports = f.Imports
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		files = append(files, file{pkg: filepath.ToSlash(rel), path: filepath.ToSlash(mustRel(root, p)), ast: full, fset: fset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d Go files: is the test run from internal/depcheck?", len(files))
	}
	return files
}

// at is the file and line of n, for messages: internal/cli/cli.go:12.
func (f file) at(n ast.Node) string {
	return f.path + ":" + strconv.Itoa(f.fset.Position(n.Pos()).Line)
}

func mustRel(root, p string) string { r, _ := filepath.Rel(root, p); return r }

func imports(f file) []string {
	var out []string
	for _, im := range f.ast.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		out = append(out, p)
	}
	return out
}

func TestProjectImports(t *testing.T) {
	for _, f := range sources(t) {
		allowed, known := rules[f.pkg]
		for _, im := range imports(f) {
			rest, ok := strings.CutPrefix(im, module)
			if !ok {
				continue
			}
			if !known {
				t.Errorf("%s imports %s, but package %s has no import rule in depcheck_test.go", f.path, im, f.pkg)
				continue
			}
			name := strings.TrimPrefix(rest, "internal/")
			if !slices.Contains(allowed, name) {
				t.Errorf("%s imports %s: %s may import only %v", f.path, im, f.pkg, allowed)
			}
		}
	}
}

func TestOnlyImageImportsGoContainerregistry(t *testing.T) {
	for _, f := range sources(t) {
		for _, im := range imports(f) {
			if strings.HasPrefix(im, "github.com/google/go-containerregistry") && f.pkg != "internal/image" {
				t.Errorf("%s imports %s: only internal/image imports go-containerregistry (use image.Image)", f.path, im)
			}
		}
	}
}

// mageUsers are the packages that may import mage: the repository's
// magefiles and the targets it publishes for other projects' magefiles.
var mageUsers = []string{"magefiles", "mage"}

func TestOnlyMagefilesImportMage(t *testing.T) {
	for _, f := range sources(t) {
		for _, im := range imports(f) {
			if strings.HasPrefix(im, "github.com/magefile/mage") && !slices.Contains(mageUsers, f.pkg) {
				t.Errorf("%s imports %s: only %v import mage", f.path, im, mageUsers)
			}
		}
	}
}

func TestOnlyRunnersStartProcesses(t *testing.T) {
	for _, f := range sources(t) {
		// testutil is test support, imported only by tests: it starts the
		// real registry the tests push to, git to copy the repository, and
		// mmdebstrap and docker for the other host the hermetic test
		// builds in (testutil.OtherHost).
		if slices.Contains(processStarters, f.pkg) || f.pkg == "internal/testutil" {
			continue
		}
		for _, im := range imports(f) {
			if im == "os/exec" {
				t.Errorf("%s imports os/exec: only %v start processes; go through a toolchain.Runner", f.path, processStarters)
			}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && isPkg(sel.X, "os") && sel.Sel.Name == "StartProcess" {
				t.Errorf("%s calls os.StartProcess: only %v start processes", f.path, processStarters)
			}
			return true
		})
	}
}

func TestOnlyCLIReadsTheEnvironment(t *testing.T) {
	readers := map[string][]string{"os": {"Getenv", "LookupEnv", "Environ", "ExpandEnv"}, "syscall": {"Getenv", "Environ"}}
	for _, f := range sources(t) {
		if slices.Contains(envReaders, f.pkg) || f.pkg == "internal/testutil" {
			continue
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			for pkg, names := range readers {
				if isPkg(sel.X, pkg) && slices.Contains(names, sel.Sel.Name) {
					t.Errorf("%s calls %s.%s: only %v read the environment; take the value from cli.Config", f.path, pkg, sel.Sel.Name, envReaders)
				}
			}
			return true
		})
	}
}

// platformSpellings are words that name one platform: outside the
// platform table (internal/recipe/platform.go) no code spells them.
var platformSpellings = []string{"arm64", "aarch64", "armhf", "riscv64", "x86_64", "gnueabi", "armel", "i686", "ppc64", "powerpc64", "s390x", "mips64"}

// TestOnlyRecipeSpellsPlatforms keeps the facts about platforms in one
// table: a string literal naming an architecture, or one of debug/elf's
// EM_ machine constants, outside internal/recipe is a second copy of a
// row. Comments may name them.
func TestOnlyRecipeSpellsPlatforms(t *testing.T) {
	for _, f := range sources(t) {
		if f.pkg == "internal/recipe" {
			continue
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					t.Errorf("%s: unquoting %s: %v", f.at(n), n.Value, err)
					return true
				}
				for _, w := range platformSpellings {
					if strings.Contains(s, w) {
						t.Errorf("%s: %s spells a platform (%q): read it from the platform table (recipe.Platform.Facts)", f.at(n), n.Value, w)
					}
				}
			case *ast.SelectorExpr:
				if isPkg(n.X, "elf") && strings.HasPrefix(n.Sel.Name, "EM_") {
					t.Errorf("%s: elf.%s is a platform's ELF machine: read it from the platform table (recipe.Platform.Facts)", f.at(n), n.Sel.Name)
				}
			}
			return true
		})
	}
}

func isPkg(x ast.Expr, name string) bool {
	id, ok := x.(*ast.Ident)
	return ok && id.Name == name && id.Obj == nil
}
