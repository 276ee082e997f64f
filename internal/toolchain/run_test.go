package toolchain_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// An error carries the end of the output, where a tool says what went
// wrong, without the trailing newline.
func TestTail(t *testing.T) {
	for _, tc := range []struct {
		out  string
		n    int
		want string
	}{
		{"short\n", 100, "short"},
		{"line one\nthe error\n", 10, "the error"},
		{"", 5, ""},
	} {
		if got := toolchain.Tail([]byte(tc.out), tc.n); got != tc.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tc.out, tc.n, got, tc.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		out, want string
		wantErr   bool
	}{
		{"12.2.0\n", "12.2.0", false},
		{"0.11.0", "0.11.0", false},
		{"gcc (Debian 12.2.0-14) 12.2.0", "12.2.0", false},
		{"14.1\n", "14.1", false},
		{"aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022", "12.2.0", false},
		{"0.11.0-dev.4002+7dd1cf26f", "0.11.0", false},
		{"garbage", "", true},
		{"12\n", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := toolchain.ParseVersion(tt.out)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q, error %v", tt.out, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "no version number") {
			t.Errorf("ParseVersion(%q) error %q does not say what is missing", tt.out, err)
		}
	}
}

// writeExecutables creates the named files in a fresh temp dir, executable
// unless the name ends in "!" (which is dropped).
func writeExecutables(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		mode := os.FileMode(0o755)
		if strings.HasSuffix(n, "!") {
			n, mode = strings.TrimSuffix(n, "!"), 0o644
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\nexit 1\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// recorder is a fake Runner: it answers with canned output and records
// every command and environment it was given.
type recorder struct {
	mu     sync.Mutex
	cmds   []toolchain.Command
	envs   [][]string
	answer func(c toolchain.Command) ([]byte, error)
}

func (r *recorder) run(_ context.Context, c toolchain.Command, env []string) ([]byte, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	r.envs = append(r.envs, env)
	r.mu.Unlock()
	if r.answer == nil {
		return nil, nil
	}
	return r.answer(c)
}

// fakeToolchain has one target whose runtime libraries are in libDir.
func fakeToolchain(t *testing.T, libDir string) *toolchain.Definition {
	t.Helper()
	d, err := toolchain.Load(writeToolchain(t, "fake", `name = "fake"
cc = ["{prefix}cc"]
ar = ["ar"]
version = ["{prefix}cc", "--version"]
version_constraint = ">= 10, < 15"
no_cxx_reason = "C only"

[static]
libc = "musl"

[dynamic]
libc = "musl"

[[target]]
platform = "linux/arm64"
prefix = "aarch64-"
lib_dirs = ["/nonexistent/fromscratch-lib", "`+libDir+`"]
apt = ["cc-aarch64"]
`))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDetect(t *testing.T) {
	envCfg := toolchain.EnvConfig{SourceDateEpoch: 1, CacheDir: "/cache", TempDir: "/cache/tmp"}
	libDir := t.TempDir()
	tests := []struct {
		name        string
		bins        []string // files in the search dir; "!" = not executable
		libDir      string
		out         string
		err         error
		available   bool
		version     string
		reason      string // substring
		libsMissing string
		ran         bool // the version command ran
	}{
		{name: "found", bins: []string{"aarch64-cc", "ar"}, libDir: libDir,
			out: "aarch64-cc (Fake 12.2.0-14) 12.2.0\n", available: true, version: "12.2.0", ran: true},
		{name: "found, runtime libraries missing", bins: []string{"aarch64-cc", "ar"}, libDir: "/nonexistent/other",
			out: "12.2.0\n", available: true, version: "12.2.0", ran: true,
			libsMissing: "runtime libraries not found in /nonexistent/fromscratch-lib, /nonexistent/other"},
		{name: "compiler not found", bins: []string{"ar", "cc"}, libDir: libDir,
			reason: "aarch64-cc not found"},
		{name: "archiver not found", bins: []string{"aarch64-cc"}, libDir: libDir,
			reason: "ar not found"},
		{name: "compiler not executable", bins: []string{"aarch64-cc!", "ar"}, libDir: libDir,
			reason: "aarch64-cc not found"},
		{name: "too old", bins: []string{"aarch64-cc", "ar"}, libDir: libDir,
			out: "9.3.0\n", version: "9.3.0", ran: true,
			reason: `fake version 9.3.0 does not satisfy ">= 10, < 15" (from toolchains/fake.toml)`},
		{name: "too new", bins: []string{"aarch64-cc", "ar"}, libDir: libDir,
			out: "15.1.0\n", version: "15.1.0", ran: true, reason: "does not satisfy"},
		{name: "version command fails", bins: []string{"aarch64-cc", "ar"}, libDir: libDir,
			out: "cc: cannot execute binary file\n", err: errors.New("exit status 126"), ran: true,
			reason: "--version: exit status 126: cc: cannot execute binary file"},
		{name: "no version in output", bins: []string{"aarch64-cc", "ar"}, libDir: libDir,
			out: "fake compiler\n", ran: true, reason: `no version number in "fake compiler"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fakeToolchain(t, tt.libDir)
			bin := writeExecutables(t, tt.bins...)
			rec := &recorder{answer: func(toolchain.Command) ([]byte, error) { return []byte(tt.out), tt.err }}
			// The empty dir first: a dir without the binaries is skipped.
			got := toolchain.Detect(context.Background(), rec.run, d, []string{t.TempDir(), bin}, envCfg)
			if len(got) != 1 {
				t.Fatalf("Detect returned %d statuses, want 1", len(got))
			}
			s := got[0]
			if s.Def != d || s.Target.Platform != recipe.ARM64 {
				t.Errorf("status is for %v %s", s.Def, s.Target.Platform)
			}
			if s.Available != tt.available || s.Version != tt.version {
				t.Errorf("Available, Version = %v, %q; want %v, %q (reason %q)", s.Available, s.Version, tt.available, tt.version, s.Reason)
			}
			if tt.reason == "" && s.Reason != "" || !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("Reason = %q, want %q", s.Reason, tt.reason)
			}
			if s.LibsMissing != tt.libsMissing {
				t.Errorf("LibsMissing = %q, want %q", s.LibsMissing, tt.libsMissing)
			}
			if s.Hint != "apt-get install cc-aarch64" {
				t.Errorf("Hint = %q", s.Hint)
			}
			if !tt.ran {
				if len(rec.cmds) != 0 {
					t.Errorf("ran %v although a binary is missing", rec.cmds)
				}
				return
			}
			cc := filepath.Join(bin, "aarch64-cc")
			wantResolved := map[string]string{"aarch64-cc": cc, "ar": filepath.Join(bin, "ar")}
			if !reflect.DeepEqual(s.Resolved, wantResolved) {
				t.Errorf("Resolved = %v, want %v", s.Resolved, wantResolved)
			}
			wantPath := append([]string{bin}, toolchain.SystemPath...)
			if !reflect.DeepEqual(s.PathDirs, wantPath) {
				t.Errorf("PathDirs = %q, want %q", s.PathDirs, wantPath)
			}
			wantCmd := toolchain.Command{Args: []string{cc, "--version"}, Dir: "/"}
			if len(rec.cmds) != 1 || !reflect.DeepEqual(rec.cmds[0], wantCmd) {
				t.Fatalf("ran %+v, want only %+v", rec.cmds, wantCmd)
			}
			wantEnv := envCfg
			wantEnv.PathDirs = wantPath
			if !reflect.DeepEqual(rec.envs[0], toolchain.Env(wantEnv)) {
				t.Errorf("version command env = %q, want %q", rec.envs[0], toolchain.Env(wantEnv))
			}
		})
	}
}

func TestDetectPerTarget(t *testing.T) {
	// Only the host gcc is installed: amd64 is available, the cross
	// targets are not, each with its own reason and apt hint.
	gcc := loadReal(t, "gcc")
	bin := writeExecutables(t, "gcc", "g++", "ar", "aarch64-linux-gnu-gcc")
	rec := &recorder{answer: func(toolchain.Command) ([]byte, error) { return []byte("12.2.0\n"), nil }}
	got := toolchain.Detect(context.Background(), rec.run, gcc, []string{bin}, toolchain.EnvConfig{})
	if len(got) != len(recipe.Platforms) {
		t.Fatalf("Detect returned %d statuses, want one per platform (%d)", len(got), len(recipe.Platforms))
	}
	want := []struct {
		p         recipe.Platform
		available bool
		reason    string
		hint      string
	}{
		{recipe.AMD64, true, "", "apt-get install gcc g++ libc6-dev binutils"},
		{recipe.ARM64, false, "aarch64-linux-gnu-g++ not found", "apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross"},
		{recipe.ARMv7, false, "arm-linux-gnueabihf-gcc not found", "apt-get install gcc-arm-linux-gnueabihf"},
		{recipe.RISCV64, false, "riscv64-linux-gnu-gcc not found", "apt-get install gcc-riscv64-linux-gnu"},
	}
	for i, w := range want {
		s := got[i]
		if s.Target.Platform != w.p || s.Available != w.available || s.Reason != w.reason || !strings.HasPrefix(s.Hint, w.hint) {
			t.Errorf("status %d = %s available=%v reason=%q hint=%q; want %s %v %q %q",
				i, s.Target.Platform, s.Available, s.Reason, s.Hint, w.p, w.available, w.reason, w.hint)
		}
	}
	if len(rec.cmds) != 1 || rec.cmds[0].Args[0] != filepath.Join(bin, "gcc") {
		t.Errorf("version commands run: %+v, want only the host gcc", rec.cmds)
	}
}

func TestLookPath(t *testing.T) {
	a := writeExecutables(t, "tool", "plain!")
	b := writeExecutables(t, "tool", "plain")
	tests := []struct {
		name string
		dirs []string
		want string
		err  string
	}{
		{"tool", []string{a, b}, filepath.Join(a, "tool"), ""},
		{"tool", []string{b, a}, filepath.Join(b, "tool"), ""},
		{"plain", []string{a, b}, filepath.Join(b, "plain"), ""},
		{"plain", []string{a}, "", "plain not found (looked in " + a + ")"},
		{filepath.Join(a, "tool"), nil, filepath.Join(a, "tool"), ""},
		{filepath.Join(a, "plain"), []string{b}, "", "is not an executable"},
		{"missing", []string{a, b}, "", "missing not found (looked in " + a + ":" + b + ")"},
	}
	for _, tt := range tests {
		got, err := toolchain.LookPath(tt.name, tt.dirs)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("LookPath(%q, %q) = %q, %v; want %q, %q", tt.name, tt.dirs, got, err, tt.want, tt.err)
		}
	}
}

// buildPlan is a gcc amd64 static plan for stepsRecipe with its work and
// output dirs under a temp dir that does not exist yet.
func buildPlan(t *testing.T) toolchain.Plan {
	t.Helper()
	gcc := loadReal(t, "gcc")
	tg, _ := gcc.Target(recipe.AMD64)
	tmp := t.TempDir()
	r := stepsRecipe()
	r.Dir = filepath.Join(tmp, "recipes", "calc")
	for _, f := range []string{"main.c", "report.c", "lib/area.c", "lib/perimeter.c", "lib/geometry.h"} {
		writeFile(t, filepath.Join(r.Dir, f), "")
	}
	return toolchain.Plan{
		Def: gcc, Target: tg, Linkage: recipe.Static, Recipe: r,
		Resolved: map[string]string{"gcc": "/usr/bin/gcc", "ar": "/usr/bin/ar"},
		WorkDir:  filepath.Join(tmp, "obj", "calc"),
		Output:   filepath.Join(tmp, "bin", "linux-amd64", "calc"),
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeCompiler writes the file after -o (or the archive after rcsD) as the
// real tools would, and for a compile the -MF file (the source, a header
// of the recipe and a system header), so Build is tested without compiling.
func fakeCompiler(c toolchain.Command) ([]byte, error) {
	return fakeCompilerReading("lib/geometry.h")(c)
}

// fakeCompilerReading is fakeCompiler whose compiles read header.
func fakeCompilerReading(header string) func(toolchain.Command) ([]byte, error) {
	return func(c toolchain.Command) ([]byte, error) {
		if i := slices.Index(c.Args, "-MF"); i >= 0 {
			src := c.Args[i-2] // a scan: <src> -M -MF <file>
			if j := slices.Index(c.Args, "-c"); j >= 0 {
				src = c.Args[j+1]
			}
			rule := "x.o: " + src + " \\\n " + header + " /usr/include/stdio.h\n"
			if err := os.WriteFile(c.Args[i+1], []byte(rule), 0o644); err != nil {
				return nil, err
			}
		}
		return writeOutput(c)
	}
}

func writeOutput(c toolchain.Command) ([]byte, error) {
	out := ""
	if i := slices.Index(c.Args, "-o"); i >= 0 {
		out = c.Args[i+1]
	} else if i := slices.Index(c.Args, "rcsD"); i >= 0 {
		out = c.Args[i+1]
	}
	if out == "" {
		return nil, errors.New("fake compiler: no output named")
	}
	if out == os.DevNull {
		return nil, nil
	}
	if err := os.WriteFile(out, []byte(strings.Join(c.Args, " ")), 0o755); err != nil {
		return nil, err // the directory Build should have created is missing
	}
	return []byte("wrote " + filepath.Base(out) + "\n"), nil
}

func TestBuild(t *testing.T) {
	plan := buildPlan(t)
	env := []string{"PATH=/usr/bin", "TZ=UTC"}
	rec := &recorder{answer: fakeCompiler}
	log, err := toolchain.Build(context.Background(), rec.run, plan, env)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log)
	}
	if want := plan.Steps(); !reflect.DeepEqual(rec.cmds, want) {
		t.Errorf("ran\n%s\nwant\n%s", commands(rec.cmds), commands(want))
	}
	for i, e := range rec.envs {
		if !reflect.DeepEqual(e, env) {
			t.Errorf("step %d env = %q, want %q", i, e, env)
		}
	}
	for _, p := range []string{
		filepath.Join(plan.WorkDir, "_program", "0-main.d"),
		filepath.Join(plan.WorkDir, "_program", "1-report.d"),
		filepath.Join(plan.WorkDir, "geometry", "0-area.d"),
		filepath.Join(plan.WorkDir, "geometry", "0-area.o"),
		filepath.Join(plan.WorkDir, "geometry", "1-perimeter.o"),
		filepath.Join(plan.WorkDir, "libgeometry.a"),
		plan.Output,
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Build did not produce %s: %v", p, err)
		}
	}
	for _, c := range plan.Steps() {
		if !strings.Contains(string(log), "$ "+c.String()+"\n") {
			t.Errorf("log lacks the command %s", c)
		}
	}
	if !strings.Contains(string(log), "wrote calc\n") {
		t.Errorf("log lacks the tools' output:\n%s", log)
	}
}

func TestBuildFailingStep(t *testing.T) {
	plan := buildPlan(t)
	failure := errors.New("exit status 1")
	rec := &recorder{answer: func(c toolchain.Command) ([]byte, error) {
		if slices.Contains(c.Args, "rcsD") {
			return []byte("ar: libgeometry.a: No space left on device\n"), failure
		}
		return fakeCompiler(c)
	}}
	log, err := toolchain.Build(context.Background(), rec.run, plan, nil)
	if err == nil {
		t.Fatal("Build: no error, want the archiver's")
	}
	if !errors.Is(err, failure) {
		t.Errorf("Build error %v does not wrap the runner's error", err)
	}
	if want := "ar: exit status 1: ar: libgeometry.a: No space left on device"; err.Error() != want {
		t.Errorf("Build error = %q, want %q", err, want)
	}
	if len(rec.cmds) != 3 {
		t.Errorf("ran %d steps, want 3 (stop at the failing archive step)", len(rec.cmds))
	}
	if !strings.Contains(string(log), "No space left on device") {
		t.Errorf("log lacks the failing step's output:\n%s", log)
	}
	if _, err := os.Stat(plan.Output); !os.IsNotExist(err) {
		t.Errorf("output exists after a failed build: %v", err)
	}
}

func TestExec(t *testing.T) {
	envTool, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env command on this machine")
	}
	t.Setenv("FROMSCRATCH_TEST_LEAK", "leaked")
	ctx := context.Background()

	out, err := toolchain.Exec(ctx, toolchain.Command{Args: []string{envTool}, Dir: "/"}, []string{"A=1", "B=2"})
	if err != nil || string(out) != "A=1\nB=2\n" {
		t.Errorf("env with A, B = %q, %v; want exactly A=1 and B=2", out, err)
	}
	// No environment given means none, not the host's.
	out, err = toolchain.Exec(ctx, toolchain.Command{Args: []string{envTool}, Dir: "/"}, nil)
	if err != nil || len(out) != 0 {
		t.Errorf("env with a nil environment = %q, %v; want nothing", out, err)
	}

	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	dir := t.TempDir()
	out, err = toolchain.Exec(ctx, toolchain.Command{Args: []string{sh, "-c", "pwd; echo oops >&2; exit 3"}, Dir: dir}, nil)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("Exec error = %v, want exit status 3", err)
	}
	if got, want := string(out), dir+"\noops\n"; got != want {
		t.Errorf("combined output = %q, want %q", got, want)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := toolchain.Exec(cancelled, toolchain.Command{Args: []string{sh, "-c", "exit 0"}, Dir: dir}, nil); err == nil {
		t.Error("Exec with a cancelled context: no error")
	}
}

// TestBuildChecksDeps: a build whose compiler read a file the cache key does
// not cover fails after the steps, with the DepError in the error and the log.
func TestBuildChecksDeps(t *testing.T) {
	tests := []struct {
		name   string
		answer func(toolchain.Command) ([]byte, error)
		want   string // error substring
		dep    bool   // a *DepError
	}{
		{name: "header of ../shared", answer: fakeCompilerReading("../shared/msg.h"), dep: true,
			want: "compiling lib/area.c read ../shared/msg.h (resolves to "},
		{name: "recipe file that is not an input", answer: fakeCompilerReading("data/table.txt"), dep: true,
			want: "compiling lib/area.c read data/table.txt"},
		{name: "compiler that ignores -MF", answer: writeOutput,
			want: "reading what compiling lib/area.c read (the compiler wrote no -MF file)"},
		{name: "dependency file that is no Make rule", answer: func(c toolchain.Command) ([]byte, error) {
			if i := slices.Index(c.Args, "-MF"); i >= 0 {
				os.WriteFile(c.Args[i+1], []byte("fatal error\n"), 0o644)
			}
			return writeOutput(c)
		}, want: "0-area.d: line 1: no ':' after the targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := buildPlan(t)
			shared := filepath.Join(filepath.Dir(plan.Recipe.Dir), "shared", "msg.h")
			writeFile(t, shared, "#define MSG \"hi\"\n")
			writeFile(t, filepath.Join(plan.Recipe.Dir, "data", "table.txt"), "1, 2, 3\n")
			rec := &recorder{answer: tt.answer}
			log, err := toolchain.Build(context.Background(), rec.run, plan, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build error = %v, want %q", err, tt.want)
			}
			var de *toolchain.DepError
			if errors.As(err, &de) != tt.dep {
				t.Errorf("Build error %v: is a *DepError = %v, want %v", err, !tt.dep, tt.dep)
			}
			if tt.dep && de.Outside && de.Resolved != shared {
				t.Errorf("DepError resolves to %s, want %s", de.Resolved, shared)
			}
			if len(rec.cmds) != len(plan.Steps()) {
				t.Errorf("ran %d steps, want all %d (the check comes after)", len(rec.cmds), len(plan.Steps()))
			}
			if !strings.Contains(string(log), "checking what the compiler read: ") {
				t.Errorf("log does not say why the build failed:\n%s", log)
			}
			if _, err := os.Stat(plan.Output); !os.IsNotExist(err) {
				t.Errorf("the unchecked binary is left behind: %v", err)
			}
		})
	}
}
