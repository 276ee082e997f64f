package toolchain_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// TestIntegrationHello builds recipes/hello with every toolchain, for every
// target it serves and both linkages, with the real compilers, and checks
// the ELF files. An unavailable toolchain skips its target, or fails it
// when FROMSCRATCH_REQUIRE_ALL=1 (CI).
func TestIntegrationHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real binaries; skipped with -short")
	}
	defs, err := toolchain.LoadAll(realToolchains)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := recipe.Load("../../recipes/hello")
	if err != nil {
		t.Fatal(err)
	}
	repoRoot := filepath.Dir(filepath.Dir(hello.Dir))
	// The cache the pipeline uses, so zig's libc builds (about 15 s per
	// target the first time) are reused across runs.
	cache := testutil.CacheDir(t)
	for _, d := range defs {
		t.Run(d.Name, func(t *testing.T) {
			// Toolchains build side by side; their targets one at a time.
			t.Parallel()
			envCfg := toolchain.EnvConfig{SourceDateEpoch: 1704067200, CacheDir: cache, TempDir: t.TempDir()}
			for _, s := range toolchain.Detect(t.Context(), toolchain.Exec, d, integrationSearchDirs(d, cache), envCfg) {
				t.Run(s.Target.Platform.Dir(), func(t *testing.T) {
					if d.Name == "zig" && !slices.Contains(recipe.CIPlatforms, s.Target.Platform) && s.Target.Platform != recipe.I386 && !testutil.AllZig() {
						t.Skipf("zig for %s: only with %s=1 (its libc build per target costs minutes on a fresh machine)", s.Target.Platform, testutil.AllZigEnv)
					}
					if !s.Available {
						testutil.Missing(t, "%s for %s is not available: %s (%s)", d.Name, s.Target.Platform, s.Reason, s.Hint)
					}
					if s.LibsMissing != "" {
						t.Logf("%s %s: %s (dynamic images would lack them)", d.Name, s.Target.Platform, s.LibsMissing)
					}
					for _, l := range recipe.Linkages {
						t.Run(string(l), func(t *testing.T) {
							if reason, ok := toolchain.Applicable(d, hello, s.Target.Platform, l); !ok {
								t.Skip(reason)
							}
							env := envCfg
							env.PathDirs = s.PathDirs
							env.TempDir = t.TempDir()
							cell := fmt.Sprintf("%s %s %s", d.Name, s.Target.Platform, l)
							a, err := buildHello(t, s, hello, l, toolchain.Env(env))
							if issue, ok := knownIssues[cell]; ok {
								if err == nil {
									t.Fatalf("%s builds now: remove it from knownIssues (%s)", cell, issue)
								}
								t.Skipf("known issue: %s\n%v", issue, err)
							}
							if err != nil {
								t.Fatal(err)
							}
							checkHelloELF(t, a, s.Target.Platform, l)
							var leaks []string
							for _, p := range []string{repoRoot, cache} {
								if bytes.Contains(a, []byte(p)) {
									leaks = append(leaks, p)
								}
							}
							if issue, ok := knownIssues[d.Name+" paths"]; ok && len(leaks) > 0 {
								t.Logf("known issue: %s: found %q", issue, leaks)
							} else if len(leaks) > 0 {
								t.Errorf("the binary contains the build paths %q", leaks)
							}
							// Same inputs, other work dir: the same bytes.
							b, err := buildHello(t, s, hello, l, toolchain.Env(env))
							if err != nil {
								t.Fatal(err)
							}
							if !bytes.Equal(a, b) {
								t.Errorf("two builds differ (%d and %d bytes): not reproducible", len(a), len(b))
							}
							t.Logf("%s %s %s %s: %d bytes, ELF verified", d.Name, s.Version, s.Target.Platform, l, len(a))
						})
					}
				})
			}
		})
	}
}

// knownIssues are defects outside this package's code that the test
// documents instead of failing on. "<toolchain> <platform> <linkage>" is a
// cell that does not build (it is skipped, and fails the test once it
// builds, so that the entry goes); "<toolchain> paths" is a toolchain whose
// binaries carry absolute build paths (logged, not failed).
var knownIssues = map[string]string{}

// integrationSearchDirs is where the binaries of d are looked for: for an
// npm-provisioned toolchain (zig) an explicit FROMSCRATCH_ZIG_DIR and the
// install dir `mage setup` fills in the cache
// (<cache>/zig/0.11.0/package), then the host PATH.
func integrationSearchDirs(d *toolchain.Definition, cache string) []string {
	var dirs []string
	if d.Name == "zig" {
		if dir := os.Getenv("FROMSCRATCH_ZIG_DIR"); dir != "" {
			dirs = append(dirs, dir)
		}
	}
	if dir := d.NpmDir(cache); dir != "" {
		dirs = append(dirs, dir)
	}
	return append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
}

// buildHello compiles the recipe in a fresh work dir and returns the binary;
// a build error carries the build log.
func buildHello(t *testing.T, s toolchain.Status, r *recipe.Recipe, l recipe.Linkage, env []string) ([]byte, error) {
	t.Helper()
	tmp := t.TempDir()
	plan := toolchain.Plan{
		Def: s.Def, Target: s.Target, Linkage: l, Recipe: r, Resolved: s.Resolved,
		WorkDir: filepath.Join(tmp, "obj"), Output: filepath.Join(tmp, "bin", r.Name),
	}
	log, err := toolchain.Build(t.Context(), toolchain.Exec, plan, env)
	if err != nil {
		return nil, fmt.Errorf("Build: %w\n%s", err, log)
	}
	return os.ReadFile(plan.Output)
}

// elfMachines and elfHeaders are written out here, apart from the
// platform table, so that the test does not check the table against itself.
var elfMachines = map[recipe.Platform]elf.Machine{
	recipe.AMD64:    elf.EM_X86_64,
	recipe.ARM64:    elf.EM_AARCH64,
	recipe.ARMv7:    elf.EM_ARM,
	recipe.RISCV64:  elf.EM_RISCV,
	recipe.I386:     elf.EM_386,
	recipe.ARMv6:    elf.EM_ARM,
	recipe.PPC64LE:  elf.EM_PPC64,
	recipe.S390X:    elf.EM_S390,
	recipe.MIPS64LE: elf.EM_MIPS,
}

// elfHeaders are the platforms' classes and byte orders where they are not
// ELFCLASS64 and little endian.
var elfHeaders = map[recipe.Platform]struct {
	class elf.Class
	data  elf.Data
}{
	recipe.ARMv7: {elf.ELFCLASS32, elf.ELFDATA2LSB},
	recipe.I386:  {elf.ELFCLASS32, elf.ELFDATA2LSB},
	recipe.ARMv6: {elf.ELFCLASS32, elf.ELFDATA2LSB},
	recipe.S390X: {elf.ELFCLASS64, elf.ELFDATA2MSB},
}

// checkHelloELF checks the binary's machine and linkage: a static binary
// has no interpreter and no DT_NEEDED, a dynamic one has both.
func checkHelloELF(t *testing.T, b []byte, p recipe.Platform, l recipe.Linkage) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an ELF file: %v", err)
	}
	defer f.Close()
	want, ok := elfMachines[p]
	if !ok {
		t.Fatalf("the test knows no ELF machine for %s: add it to elfMachines", p)
	}
	if f.Machine != want {
		t.Errorf("machine = %v, want %v for %s", f.Machine, want, p)
	}
	header, ok := elfHeaders[p]
	if !ok {
		header.class, header.data = elf.ELFCLASS64, elf.ELFDATA2LSB
	}
	if f.Class != header.class || f.Data != header.data {
		t.Errorf("class and data = %v %v, want %v %v for %s", f.Class, f.Data, header.class, header.data, p)
	}
	var interp string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			data, err := io.ReadAll(prog.Open())
			if err != nil {
				t.Fatalf("reading PT_INTERP: %v", err)
			}
			interp = strings.TrimRight(string(data), "\x00")
			if interp == "" {
				interp = "(empty)"
			}
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatalf("reading DT_NEEDED: %v", err)
	}
	switch l {
	case recipe.Static:
		if interp != "" || len(needed) > 0 {
			t.Errorf("static binary has PT_INTERP %q and DT_NEEDED %q, want neither", interp, needed)
		}
	case recipe.Dynamic:
		if interp == "" || len(needed) == 0 {
			t.Errorf("dynamic binary has PT_INTERP %q and DT_NEEDED %q, want both", interp, needed)
		}
	}
	if f.Section(".note.gnu.build-id") == nil {
		t.Errorf("no .note.gnu.build-id although every toolchain asks for --build-id=sha1")
	}
	t.Logf("%s %s: %v interp=%q needed=%q", p, l, f.Machine, interp, needed)
}
