package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// Every kind of flag sets its variable and wins over the environment: a
// value, a list given twice and by its plural, a boolean, a negated one.
func TestFlagsBeatEnvironment(t *testing.T) {
	c := &CLI{root: t.TempDir(), out: &bytes.Buffer{}, log: &bytes.Buffer{},
		env: []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_JOBS=7", "FROMSCRATCH_PLATFORMS=linux/riscv64", "FROMSCRATCH_VERBOSE=0", "FROMSCRATCH_SMOKE=1", "FROMSCRATCH_OUT=/env-out"}}
	// The flags are only parsed here, by build's command, which runs
	// nothing; a boolean before the verb's words is read as a flag.
	args := []string{"-j", "2", "--platform", "arm64", "-v", "build", "--platforms=amd64", "--no-smoke", "--linkage", "static", "--out=/flag-out"}
	if err := parseFlags(c, args...); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Jobs != 2 || len(cfg.Platforms) != 2 || cfg.Platforms[0] != "linux/arm64" || cfg.Platforms[1] != "linux/amd64" ||
		!cfg.Verbose || cfg.Smoke || len(cfg.Linkages) != 1 || cfg.Linkages[0] != "static" || cfg.OutDir != "/flag-out" || cfg.CacheDir != "/c" {
		t.Errorf("flags over the environment: %+v", cfg)
	}
	// Without flags the environment holds, and a negated flag can be
	// turned back: --no-smoke=false smokes.
	if err := parseFlags(c, "--no-smoke=false", "build"); err != nil {
		t.Fatal(err)
	}
	if cfg, err = c.config(); err != nil || cfg.Jobs != 7 || cfg.Platforms[0] != "linux/riscv64" || !cfg.Smoke || cfg.Verbose {
		t.Errorf("environment alone: %+v, %v", cfg, err)
	}
	// A bad value is named by its flag, not by the variable it overrides.
	if err := parseFlags(c, "--jobs", "0", "-p", "sparc64", "build"); err != nil {
		t.Fatal(err)
	}
	_, err = c.config()
	for _, want := range []string{`--jobs="0"`, `--platform="sparc64"`, "2 bad settings"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad flags: %v, want %s", err, want)
		}
	}
	if ExitCode(err) != ExitUsage {
		t.Errorf("bad flags: exit code %d, want %d", ExitCode(err), ExitUsage)
	}
}

// parseFlags parses the flags of args as the command the args name would,
// without running it.
func parseFlags(c *CLI, args ...string) error {
	c.flags, c.args = Flags{}, args
	cmd, rest, err := c.command().Find(args)
	if err != nil {
		return err
	}
	return cmd.ParseFlags(rest)
}

// A flag reaches a real verb: ci plan's platforms are the flag's, not the
// environment's.
func TestFlagReachesVerb(t *testing.T) {
	c, out, _ := testCLI(t, repoRoot(t), "FROMSCRATCH_PLATFORMS=linux/arm64")
	if err := c.Run(t.Context(), []string{"ci", "plan", "--platform", "riscv64", "--toolchain", "zig"}); err != nil {
		t.Fatal(err)
	}
	var m shard.Matrix
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Include) != 1 || m.Include[0].Platforms != "linux/riscv64" || m.Include[0].Toolchains != "zig" {
		t.Errorf("plan with --platform riscv64 --toolchain zig over FROMSCRATCH_PLATFORMS=linux/arm64: %+v", m.Include)
	}
}

// A FROMSCRATCH_* variable fromscratch does not read is refused with the
// closest one it does, before anything is built.
func TestUnknownVariableRefused(t *testing.T) {
	_, err := LoadConfig(t.TempDir(), []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_PLATFORM=linux/amd64", "FROMSCRATCH_FROBNICATE=1"})
	if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_PLATFORM: no such variable (did you mean FROMSCRATCH_PLATFORMS?)") {
		t.Errorf("FROMSCRATCH_PLATFORM: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_FROBNICATE: no such variable (fromscratch help") {
		t.Errorf("FROMSCRATCH_FROBNICATE, close to nothing: %v", err)
	}
	c, out, _ := testCLI(t, repoRoot(t))
	c.env = append(c.env, "FROMSCRATCH_PLATFORM=linux/amd64")
	err = c.Run(t.Context(), []string{"build", "hello"})
	if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_PLATFORMS") || ExitCode(err) != ExitUsage {
		t.Errorf("build with FROMSCRATCH_PLATFORM: %v (exit %d)", err, ExitCode(err))
	}
	if out.Len() > 0 {
		t.Errorf("build with FROMSCRATCH_PLATFORM printed %q: it should stop before building", out)
	}
	// Every verb refuses it, even those that read no setting, and outside
	// a project; help and completion still answer.
	for _, args := range [][]string{{"version"}, {"--version"}, {"init", "dir", "x"}, {"matrix", "compare", "a", "b"}} {
		for _, c := range []*CLI{{root: repoRoot(t)}, {rootErr: errors.New("no project")}} {
			var out bytes.Buffer
			c.out, c.log, c.env = &out, &bytes.Buffer{}, []string{"FROMSCRATCH_TOOLCHIAN=gcc"}
			err := c.Run(t.Context(), args)
			if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_TOOLCHIAN: no such variable (did you mean FROMSCRATCH_TOOLCHAINS?)") || ExitCode(err) != ExitUsage || out.Len() > 0 {
				t.Errorf("%q with FROMSCRATCH_TOOLCHIAN (project error %v): %v (exit %d), printed %q", args, c.rootErr, err, ExitCode(err), out.String())
			}
		}
	}
	for _, args := range [][]string{nil, {"help"}, {"help", "build"}, {"build", "--help"}, {"completion", "bash"}, {"__complete", "bu"}} {
		c := &CLI{out: &bytes.Buffer{}, log: &bytes.Buffer{}, env: []string{"FROMSCRATCH_TOOLCHIAN=gcc"}}
		if err := c.Run(t.Context(), args); err != nil {
			t.Errorf("%q with FROMSCRATCH_TOOLCHIAN: %v", args, err)
		}
	}
	// With a project, every other bad setting comes with it.
	c = &CLI{root: repoRoot(t), out: &bytes.Buffer{}, log: &bytes.Buffer{}, env: []string{"FROMSCRATCH_TOOLCHIAN=gcc", "FROMSCRATCH_JOBS=0"}}
	if err := c.Run(t.Context(), []string{"version"}); err == nil || !strings.Contains(err.Error(), "2 bad settings") {
		t.Errorf("version with FROMSCRATCH_TOOLCHIAN and FROMSCRATCH_JOBS=0: %v", err)
	}
}

// A recipe named on the command line that the project does not have is a
// command-line mistake: exit 2, the folder named as in the project, and
// the closest recipe; a setting's recipes are checked as settings are.
func TestUnknownRecipe(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"pv", "hello"} {
		if err := os.MkdirAll(filepath.Join(root, "recipes", n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "recipes", n, "recipe.toml"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, _, _ := testCLI(t, root)
	for args, want := range map[string]string{
		"build helo":        `recipes/: unknown recipe "helo", did you mean hello? (allowed: hello, pv)`,
		"build recipe pw":   `recipes/: unknown recipe "pw", did you mean pv? (allowed: hello, pv)`,
		"build nosuch":      `recipes/: unknown recipe "nosuch" (allowed: hello, pv)`,
		"build all -r helo": `--recipe="helo": unknown recipe "helo", did you mean hello? (allowed: hello, pv)`,
	} {
		err := c.Run(t.Context(), strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) || ExitCode(err) != ExitUsage || strings.Contains(err.Error(), root) {
			t.Errorf("%s: %v (exit %d), want %q, exit 2 and no absolute path", args, err, ExitCode(err), want)
		}
	}
}

// Mistyped commands and flags get the closest right one, and a bad
// command line exits 2.
func TestSuggestions(t *testing.T) {
	// No project: a verb that a mistake here failed to stop cannot build.
	c := &CLI{out: &bytes.Buffer{}, log: &bytes.Buffer{}, rootErr: errors.New("no project in this test")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"biuld:all"}, `unknown command "biuld" for "fromscratch" (did you mean build?)`},
		{[]string{"image", "lod"}, `unknown command "lod" for "fromscratch image" (did you mean load?)`},
		{[]string{"bench", "fiels"}, `(did you mean files?)`},
		{[]string{"build", "--platfrom", "amd64"}, "build: unknown flag: --platfrom (did you mean --platform?); fromscratch build --help lists its flags"},
		{[]string{"--platfrom", "amd64"}, "fromscratch: unknown flag"}, // wrapped by Main in "fromscratch: " once: see below
		{[]string{"--verison"}, "unknown flag: --verison (did you mean --version?); fromscratch --help lists the flags"},
		{[]string{"build", "--version"}, "build: --version: fromscratch --version (or fromscratch version) prints the version"},
		{[]string{"-W"}, "unknown shorthand flag: 'W' in -W; fromscratch --help lists the flags"},
		// A mistyped command is reported before a mistyped flag, wherever
		// the flag stands.
		{[]string{"bild", "--platfrom", "x"}, `unknown command "bild" for "fromscratch" (did you mean build?)`},
		{[]string{"--platfrom", "x", "bild"}, `unknown command "bild" for "fromscratch" (did you mean build?)`},
		{[]string{"image", "--platfrom", "x", "lod"}, `unknown command "lod" for "fromscratch image" (did you mean load?)`},
		// help of a mistyped command is the same mistake.
		{[]string{"help", "biuld"}, `unknown command "biuld" for "fromscratch" (did you mean build?)`},
		{[]string{"help", "image", "lod"}, `unknown command "lod" for "fromscratch image" (did you mean load?)`},
		// A verb refuses the flags of other verbs, after its words or before.
		{[]string{"build", "--shards", "single"}, "build: --shards: not a flag of build (FROMSCRATCH_SHARDS is read by ci plan); fromscratch build --help lists its flags"},
		{[]string{"build", "all", "--gate", "g.json"}, "build all: --gate: not a flag of build all (FROMSCRATCH_GATE is read by matrix diff, matrix compare)"},
		{[]string{"-v", "matrix", "show"}, "matrix show: --verbose: not a flag of matrix show"},
		{[]string{"matrix", "show", "-v"}, "matrix show: --verbose: not a flag of matrix show"},
		{[]string{"matrix:show", "--json"}, "--json: only build"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "fromscratch" (fromscratch help`},
		{[]string{"image"}, "want a command: all, history, load, run, wrap"},
	} {
		if strings.HasPrefix(tc.want, "fromscratch: ") { // through Main, which names the program once
			var stderr bytes.Buffer
			code := Main(t.Context(), append([]string{"fromscratch"}, tc.args...), &bytes.Buffer{}, &stderr)
			if !strings.HasPrefix(stderr.String(), tc.want) || strings.Contains(stderr.String(), "fromscratch: fromscratch") ||
				strings.Contains(stderr.String(), "fromscratch fromscratch") || code != ExitUsage {
				t.Errorf("%q: %q (exit %d), want %q, the program named once, and exit 2", tc.args, stderr.String(), code, tc.want)
			}
			continue
		}
		err := c.Run(t.Context(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) || ExitCode(err) != ExitUsage {
			t.Errorf("%q: %v (exit %d), want %q and exit 2", tc.args, err, ExitCode(err), tc.want)
		}
	}
	// Flags before the verb's words are still read as flags.
	if err := parseFlags(c, "-v", "--no-smoke", "build", "hello"); err != nil || c.flags["FROMSCRATCH_VERBOSE"] != "true" || c.flags["FROMSCRATCH_SMOKE"] != "false" {
		t.Errorf("-v --no-smoke build hello: %v, flags %v", err, c.flags)
	}
	for word, want := range map[string]string{"FROMSCRATCH_PLATFORM": "FROMSCRATCH_PLATFORMS", "--toolchian": "--toolchain", "zzz": ""} {
		if got := recipe.Closest(word, []string{"FROMSCRATCH_PLATFORMS", "FROMSCRATCH_TOOLCHAINS", "--toolchain", "--out"}); got != want {
			t.Errorf("closest(%q) = %q, want %q", word, got, want)
		}
	}
}

// fromscratch help names every flag with its variable; a verb's help
// only the flags of the variables it uses, with their variables; all on
// stdout.
func TestHelpNamesFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		verb    string // "": the root's help
		hasJSON bool
	}{
		{[]string{"help"}, "", true},
		{[]string{"build", "--help"}, "build", true},
		{[]string{"help", "build"}, "build", true},
		{[]string{"build:recipe", "-h"}, "build recipe", true},
		{[]string{"help", "matrix", "diff"}, "matrix diff", false},
		{[]string{"image", "history", "--help"}, "image history", false},
		{[]string{"ci", "plan", "-h"}, "ci plan", false},
		{[]string{"version", "--help"}, "version", false},
	} {
		var out, log bytes.Buffer
		c := &CLI{out: &out, log: &log}
		if err := c.Run(t.Context(), tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		for _, v := range Variables {
			if v.Flag == "" {
				continue
			}
			named := strings.Contains(out.String(), "--"+v.Flag+" ") && strings.Contains(out.String(), v.Name)
			if want := tc.verb == "" || slices.Contains(v.For, tc.verb); named != want {
				t.Errorf("%q names --%s and %s: %v, want %v:\n%s", tc.args, v.Flag, v.Name, named, want, out.String())
			}
		}
		if strings.Contains(out.String(), "--json") != tc.hasJSON {
			t.Errorf("%q names --json: %v, want %v", tc.args, !tc.hasJSON, tc.hasJSON)
		}
		if log.Len() > 0 {
			t.Errorf("%q wrote help to stderr: %q", tc.args, log.String())
		}
	}
}

// Every verb a variable names in For is a verb, and the flags of build
// are those of its kind: --shards (ci plan's) and --gate (matrix diff's)
// are not among them, the environment and the build settings are.
func TestFlagsForVerbs(t *testing.T) {
	for _, v := range Variables {
		if (v.Flag == "") != (len(v.For) == 0) {
			t.Errorf("%s: flag %q, for %q: a flag needs its verbs, and only a flag has them", v.Name, v.Flag, v.For)
		}
		for _, w := range v.For {
			if !slices.ContainsFunc(verbs, func(x verb) bool { return x.words == w }) {
				t.Errorf("%s: for %q, which is not a verb", v.Name, w)
			}
		}
	}
	build := map[string]bool{}
	for _, v := range Variables {
		if slices.Contains(v.For, "build") {
			build[v.Flag] = true
		}
	}
	for flag, want := range map[string]bool{"platform": true, "toolchain": true, "no-smoke": true, "out": true, "shards": false, "gate": false, "partial": false, "no-trunc": false, "cache-max-age": false, "max-growth": false} {
		if build[flag] != want {
			t.Errorf("build takes --%s: %v, want %v", flag, build[flag], want)
		}
	}
}

// version prints fromscratch's version and the commit of the build info.
func TestVersion(t *testing.T) {
	var b bytes.Buffer
	writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/fromscratch/fromscratch", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "b3f06eb2c4d5"}, {Key: "vcs.time", Value: "2026-12-05T07:00:00Z"}, {Key: "vcs.modified", Value: "true"}}})
	for _, want := range []string{"fromscratch " + Version + "\n", "module github.com/fromscratch/fromscratch v0.3.0\n", "commit b3f06eb2c4d5 (2026-12-05T07:00:00Z, modified)\n", "go go1.26.8\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("version:\n%s\nwant %q", b.String(), want)
		}
	}
	b.Reset()
	writeVersion(&b, &debug.BuildInfo{Main: debug.Module{Path: "github.com/fromscratch/fromscratch", Version: "(devel)"}})
	if !strings.Contains(b.String(), "commit unknown") {
		t.Errorf("version without VCS information:\n%s", b.String())
	}
	var want bytes.Buffer
	if err := (&CLI{out: &want, log: &bytes.Buffer{}}).Run(t.Context(), []string{"version"}); err != nil || !strings.HasPrefix(want.String(), "fromscratch "+Version+"\n") {
		t.Errorf("fromscratch version: %v\n%s", err, want.String())
	}
	for _, flag := range []string{"--version", "-V"} { // the same text
		var out bytes.Buffer
		if err := (&CLI{out: &out, log: &bytes.Buffer{}}).Run(t.Context(), []string{flag}); err != nil || out.String() != want.String() {
			t.Errorf("fromscratch %s: %v\n%s\nwant\n%s", flag, err, out.String(), want.String())
		}
	}
}

// completion writes a script for bash, zsh and fish, and the scripts'
// callback completes recipes, platforms and commands.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_fromscratch", "zsh": "#compdef fromscratch", "fish": "complete -c fromscratch"} {
		var out bytes.Buffer
		if err := (&CLI{out: &out, log: &bytes.Buffer{}}).Run(t.Context(), []string{"completion", shell}); err != nil {
			t.Fatalf("completion %s: %v", shell, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("completion %s has no %q:\n%.500s", shell, want, out.String())
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "build", "recipe", ""}, []string{"hello\n", "jq\n"}},
		{[]string{"__complete", "build", "--platform", ""}, []string{"linux/arm/v7\n", "linux/riscv64\n"}},
		{[]string{"__complete", "build", "-t", ""}, []string{"gcc\n", "zig\n", "prebuilt\n"}},
		{[]string{"__complete", "ima"}, []string{"image\t"}},
		{[]string{"__complete", "image", ""}, []string{"history\t", "wrap\t"}},
		{[]string{"__complete", "build", "--s"}, []string{"--stall-timeout\t"}}, // not --shards: ci plan's
		{[]string{"__complete", "ci", "plan", "--s"}, []string{"--shards\t"}},
	} {
		var out bytes.Buffer
		if err := (&CLI{root: repoRoot(t), out: &out, log: &bytes.Buffer{}}).Run(t.Context(), tc.args); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: no %q in\n%s", tc.args, w, out.String())
			}
		}
		if tc.args[1] == "build" && strings.Contains(out.String(), "--shards") {
			t.Errorf("%q completes --shards, which build does not take:\n%s", tc.args, out.String())
		}
	}
}

// The README's table of settings has a row per variable, naming its
// flag.
func TestREADMEVariables(t *testing.T) {
	readme := mustRead(t, filepath.Join(repoRoot(t), "README.md"))
	_, section, _ := strings.Cut(readme, "### Settings: flags and environment\n")
	section, _, _ = strings.Cut(section, "\n### ")
	rows := map[string]string{} // variable: flag cell
	for _, l := range strings.Split(section, "\n") {
		if cells := strings.Split(l, " | "); len(cells) >= 3 && strings.HasPrefix(l, "| ") {
			rows[strings.Trim(cells[1], "`")] = strings.TrimPrefix(cells[0], "| ")
		}
	}
	for _, v := range Variables {
		flag, ok := rows[v.Name]
		switch {
		case !ok:
			t.Errorf("README: no row for %s", v.Name)
		case v.Flag != "" && !strings.HasPrefix(flag, "`--"+v.Flag+"`"):
			t.Errorf("README: the row of %s names %q, want --%s", v.Name, flag, v.Flag)
		case v.Flag == "" && flag != "|":
			t.Errorf("README: the row of %s names a flag %q; it has none", v.Name, flag)
		}
	}
	if len(rows) != len(Variables)+1 { // and the header
		t.Errorf("README: %d rows, %d variables", len(rows)-1, len(Variables))
	}
}

// build, release and release push --json print one document each on
// stdout, with the cell's status, digest, sizes and files; progress and
// the summary go to stderr. One cell: hello, gcc, static, amd64, without
// a smoke run (a few seconds, most of it the release's SBOM facts).
func TestJSONResults(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles one cell")
	}
	c, _, cfg := testCLI(t, repoRoot(t))
	cell := []string{"-r", "hello", "-p", "linux/amd64", "-t", "gcc", "-l", "static", "--no-smoke"}
	run := func(args ...string) (stdout, stderr *bytes.Buffer) {
		t.Helper()
		stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
		c.out, c.log = stdout, stderr
		if args[0] == "build" || len(args) == 1 && args[0] == "release" { // the verbs that build take the cell's flags
			args = append(args, cell...)
		}
		if err := c.Run(t.Context(), append(args, "--json")); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stderr.String())
		}
		return stdout, stderr
	}
	stdout, stderr := run("build", "hello")
	var res BuildJSON
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	if res.SchemaVersion != JSONSchema || res.Command != "build" || len(res.Cells) != 1 || res.Counts[matrix.StatusBuilt] != 1 || res.Out != cfg.OutDir {
		t.Fatalf("build --json: %+v", res)
	}
	got := res.Cells[0]
	if got.Recipe != "hello" || got.Platform != "linux/amd64" || got.Toolchain != "gcc" || got.Linkage != "static" ||
		got.Status != matrix.StatusBuilt || !strings.HasPrefix(got.Digest, "sha256:") || got.Sizes.Binary <= 0 || got.Sizes.ImageRegistry <= 0 || got.Origin == "" {
		t.Errorf("cell: %+v", got)
	}
	for _, p := range []string{got.Binary, got.Log, got.Docker, got.OCI, res.Matrix} {
		if _, err := os.Stat(p); err != nil { // out/ is outside the project here: absolute paths
			t.Errorf("a path of the result: %v", err)
		}
	}
	if !strings.Contains(stderr.String(), "cells: 1 built") || strings.Contains(stdout.String(), "cells:") {
		t.Errorf("the summary belongs on stderr:\nstdout %s\nstderr %s", stdout.String(), stderr.String())
	}

	stdout, _ = run("release")
	var rel ReleaseJSON
	if err := json.Unmarshal(stdout.Bytes(), &rel); err != nil {
		t.Fatalf("release --json: %v\n%s", err, stdout.String())
	}
	if rel.Command != "release" || len(rel.Cells) != 1 || rel.Cells[0].Digest != got.Digest || rel.Cells[0].SBOM == "" {
		t.Fatalf("release --json: %+v", rel)
	}
	for _, p := range []string{rel.Release, rel.SHA256SUMS, rel.Cells[0].SBOM} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a path of the release: %v", err)
		}
	}

	stdout, _ = run("toolchains", "list")
	var tcs ToolchainsJSON
	if err := json.Unmarshal(stdout.Bytes(), &tcs); err != nil {
		t.Fatalf("toolchains list --json: %v\n%s", err, stdout.String())
	}
	gcc := slices.IndexFunc(tcs.Toolchains, func(tc ToolchainJSON) bool { return tc.Toolchain == "gcc" && tc.Platform == "linux/amd64" })
	if tcs.Command != "toolchains list" || gcc < 0 || !tcs.Toolchains[gcc].Available || tcs.Toolchains[gcc].Version == "" || tcs.Toolchains[gcc].StaticLibc != "glibc" {
		t.Errorf("toolchains list --json: %+v", tcs)
	}

	reg := testutil.StartRegistry(t)
	stdout, _ = run("release", "push", reg.Host+"/fs")
	var push PushJSON
	if err := json.Unmarshal(stdout.Bytes(), &push); err != nil {
		t.Fatalf("release push --json: %v\n%s", err, stdout.String())
	}
	if push.Command != "release push" || len(push.Indexes) != 1 || push.Indexes[0].Ref != reg.Host+"/fs/hello:gcc-static" ||
		len(push.Indexes[0].Images) != 1 || push.Indexes[0].Images[0].Digest != got.Digest || push.Indexes[0].Images[0].SBOM == "" {
		t.Errorf("release push --json: %+v", push)
	}
}

// Paths of a result inside the project are relative to it; a failed
// cell has its status and reason and no image.
func TestBuildJSONPaths(t *testing.T) {
	root := t.TempDir()
	cfg := Config{Root: root, OutDir: filepath.Join(root, "out")}
	ok := recipe.Cell{Recipe: "hello", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static}
	bad := ok
	bad.Linkage = recipe.Dynamic
	rep := &pipeline.Report{
		Jobs: []pipeline.Job{{Cell: ok}, {Cell: bad}},
		Results: map[string]*pipeline.Result{
			ok.String():  {Binary: filepath.Join(root, "out", "bin", "hello"), Archive: filepath.Join(root, "out", "docker", "hello.tar"), Origin: pipeline.OriginCompiled},
			bad.String(): {Binary: filepath.Join(root, "out", "bin", "hello-dyn"), Err: errors.New("compiling: boom")},
		},
		Matrix: &matrix.Matrix{Rows: []matrix.Row{
			{Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static", Status: matrix.StatusBuilt, Digest: "sha256:ab"},
			{Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "dynamic", Status: matrix.StatusFailed, Reason: "compiling: boom"},
		}},
	}
	res := buildJSON(cfg, "build", rep, nil)
	if res.Out != "out" || res.Matrix != filepath.Join("out", "matrix.json") || len(res.Cells) != 2 {
		t.Fatalf("result: %+v", res)
	}
	if c := res.Cells[0]; c.Binary != "out/bin/hello" || c.Docker != "out/docker/hello.tar" || c.OCI != "out/oci/hello" || c.Digest != "sha256:ab" || c.Origin != "compiled" {
		t.Errorf("built cell: %+v", c)
	}
	if c := res.Cells[1]; c.Status != matrix.StatusFailed || c.Reason != "compiling: boom" || c.Docker != "" || c.Origin != "" {
		t.Errorf("failed cell: %+v", c)
	}
	if res.Counts[matrix.StatusBuilt] != 1 || res.Counts[matrix.StatusFailed] != 1 {
		t.Errorf("counts: %v", res.Counts)
	}
}
