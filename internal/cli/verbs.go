package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/bazelcheck"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// verb is one target: its words ("build all"), its arguments and its body.
// The mage targets and cmd/fromscratch are both shells over this table;
// command.go makes it a command tree with flags, help and completion.
type verb struct {
	words string
	// args names the arguments: NAME is required, NAME... repeats (at
	// least once), [NAME...] repeats and may be left out.
	args []string
	doc  string
	run  func(c *CLI, ctx context.Context, args []string) error
}

var verbs = []verb{
	{"build", []string{"[NAME...]"}, "build every cell of the named recipes (all without a name), pack the images, smoke-run them, write out/matrix.*", func(c *CLI, ctx context.Context, a []string) error { return c.Build(ctx, a) }},
	{"build all", nil, "build every cell, pack the images, smoke-run them, write out/matrix.*", func(c *CLI, ctx context.Context, _ []string) error { return c.Build(ctx, nil) }},
	{"build recipe", []string{"NAME"}, "the same for one recipe", func(c *CLI, ctx context.Context, a []string) error { return c.Build(ctx, a) }},
	{"image all", nil, "pack the images again from out/bin", func(c *CLI, ctx context.Context, _ []string) error { return c.Images(ctx) }},
	{"image load", nil, "docker load every archive of out/docker", func(c *CLI, ctx context.Context, _ []string) error { return c.Load(ctx) }},
	{"image run", nil, "smoke-run every image", func(c *CLI, ctx context.Context, _ []string) error { return c.Smoke(ctx) }},
	{"image history", []string{"REF"}, "layers of an image, like docker image history (REF: hello:gcc-dynamic-amd64)", func(c *CLI, ctx context.Context, a []string) error { return c.History(ctx, a[0]) }},
	{"image wrap", []string{"PATH"}, "pack an existing ELF program and its closure into out/wrap/<name>/", func(c *CLI, ctx context.Context, a []string) error { return c.Wrap(ctx, a[0]) }},
	{"init dir", []string{"PATH"}, "write recipes/<name>/ from the program in the folder PATH: a copy of it and a recipe.toml with its build system guessed", func(c *CLI, ctx context.Context, a []string) error { return c.InitDir(ctx, a[0]) }},
	{"init debian", []string{"NAME[=VERSION]"}, "write recipes/NAME/recipe.toml for a Debian source package: its upstream tarball pinned, its build system guessed", func(c *CLI, ctx context.Context, a []string) error { return c.InitDebian(ctx, a[0]) }},
	{"source pin", []string{"NAME[=VERSION]"}, "print the [source] table pinning a Debian source package (each file's sha256 from its .dsc) and keep its files in the source store", func(c *CLI, ctx context.Context, a []string) error { return c.SourcePin(ctx, a[0]) }},
	{"toolchains lock", nil, "refresh toolchains/runtime.lock.json (the pinned target-architecture runtime packages) and toolchains/buildroot.lock.json (the build root)", func(c *CLI, ctx context.Context, _ []string) error { return c.LockToolchains(ctx) }},
	{"toolchains list", nil, "each toolchain and platform with its version or why it is unavailable", func(c *CLI, ctx context.Context, _ []string) error { return c.ListToolchains(ctx) }},
	{"matrix show", nil, "the size tables of out/matrix.json", func(c *CLI, ctx context.Context, _ []string) error { return c.ShowMatrix(ctx) }},
	{"matrix diff", []string{"OLD.json"}, "size deltas of out/matrix.json against OLD; fails past the gate", func(c *CLI, ctx context.Context, a []string) error { return c.DiffMatrix(ctx, a[0], "") }},
	{"matrix compare", []string{"OLD.json", "NEW.json"}, "size deltas between two files; fails past the gate", func(c *CLI, ctx context.Context, a []string) error { return c.DiffMatrix(ctx, a[0], a[1]) }},
	{"verify", []string{"REF"}, "check a pushed image or index (REF: REGISTRY/REPO:TAG or @sha256:...): its signatures and SLSA provenance with --key cosign.pub (inputs against a checkout with --source DIR) and each image's SBOM referrer", func(c *CLI, ctx context.Context, a []string) error { return c.Verify(ctx, a[0]) }},
	{"verify image", []string{"REF"}, "the same as verify REF", func(c *CLI, ctx context.Context, a []string) error { return c.Verify(ctx, a[0]) }},
	{"verify repro", nil, "build the matrix twice under varied conditions and compare every output", func(c *CLI, ctx context.Context, _ []string) error { return c.VerifyRepro(ctx) }},
	{"release push", []string{"REGISTRY/PREFIX"}, "push out/oci's indexes to PREFIX/<recipe>:<toolchain>-<linkage>, each image's SBOM as an OCI referrer; with FROMSCRATCH_SIGNING_KEY each index and image signed (cosign's form) with its SLSA provenance", func(c *CLI, ctx context.Context, a []string) error { return c.Push(ctx, a[0]) }},
	{"release", nil, "out/release/: OCI layouts, SBOMs, the matrix and SHA256SUMS (signed in SHA256SUMS.sig with FROMSCRATCH_SIGNING_KEY)", func(c *CLI, ctx context.Context, _ []string) error { return c.Release(ctx) }},
	{"bench real", nil, "the real programs: fromscratch cold and warm against configure and make by hand, split into configure, make and the rest", func(c *CLI, ctx context.Context, _ []string) error { return c.BenchReal(ctx) }},
	{"bench configure", nil, "the configure results the linkages share: a dynamic cell after its static one, with the static cell's compile results and without them", func(c *CLI, ctx context.Context, _ []string) error { return c.BenchConfigure(ctx) }},
	{"bench files", nil, "the same as bench", func(c *CLI, ctx context.Context, _ []string) error { return c.Bench(ctx) }},
	{"bench", nil, "the recipes of files: fromscratch cold, warm and no-op against the Dockerfile way", func(c *CLI, ctx context.Context, _ []string) error { return c.Bench(ctx) }},
	{"cache prune", nil, "remove action-cache entries unused for FROMSCRATCH_CACHE_MAX_AGE", func(c *CLI, ctx context.Context, _ []string) error { return c.PruneCache(ctx) }},
	{"setup", nil, "provision toolchains, qemu binfmt and a Docker engine", func(c *CLI, ctx context.Context, _ []string) error { return c.Setup(ctx) }},
	{"test", nil, "go vet and the test suite", func(c *CLI, ctx context.Context, _ []string) error { return c.Test(ctx) }},
	{"bazel check", nil, "gazelle, buildifier and actionlint in check mode; rules_go and gazelle versions agree", func(c *CLI, ctx context.Context, _ []string) error { return c.BazelCheck(ctx) }},
	{"ci plan", nil, "the shard matrix as JSON for a GitHub Actions strategy.matrix (FROMSCRATCH_SHARDS)", func(c *CLI, ctx context.Context, _ []string) error { return c.Plan(ctx) }},
	{"matrix merge", []string{"DIR..."}, "merge shard outputs (out/ dirs with shard.json) into out/, digest-identical to one build of everything", func(c *CLI, ctx context.Context, a []string) error { return c.Merge(ctx, a) }},
	{"clean", nil, "remove what fromscratch wrote in out/", func(c *CLI, ctx context.Context, _ []string) error { return c.Clean() }},
	{"version", nil, "fromscratch's version, and the module version and commit this binary was built from", func(c *CLI, _ context.Context, _ []string) error { return c.Version() }},
}

// jsonVerbs print their result as JSON on stdout with --json (json.go
// has the schema).
var jsonVerbs = []string{"build", "build all", "build recipe", "release", "release push", "toolchains list"}

// arity is how many arguments v takes: at least min, and any number more
// when the last one repeats.
func (v verb) arity() (min int, repeats bool) {
	for _, a := range v.args {
		if !strings.HasPrefix(a, "[") {
			min++
		}
	}
	n := len(v.args)
	return min, n > 0 && strings.HasSuffix(strings.TrimSuffix(v.args[n-1], "]"), "...")
}

// checkArgs refuses a wrong number of arguments, naming them.
func (v verb) checkArgs(args []string) error {
	min, repeats := v.arity()
	if len(args) == min || repeats && len(args) > min {
		return nil
	}
	want := "no arguments"
	switch {
	case repeats:
		want = fmt.Sprintf("at least %d argument%s (%s)", min, plural(min), strings.Join(v.args, " "))
	case min > 0:
		want = fmt.Sprintf("%d argument%s (%s)", min, plural(min), strings.Join(v.args, " "))
	}
	got := "none"
	if len(args) > 0 {
		got = fmt.Sprintf("%d: %s", len(args), strings.Join(quoted(args), " "))
	}
	usage := strings.TrimSpace("fromscratch " + v.words + " " + strings.Join(v.args, " "))
	return usageError{fmt.Errorf("%s: takes %s, got %s (usage: %s)", v.words, want, got, usage)}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// quoted is args each quoted as Go quotes strings.
func quoted(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strconv.Quote(a)
	}
	return out
}

// Run runs the target named by args, e.g. ["build", "recipe", "hello"]
// or ["build:recipe", "hello"] (mage's spelling), with flags anywhere:
// ["--platform", "linux/amd64", "build", "hello"].
func (c *CLI) Run(ctx context.Context, args []string) error {
	c.flags, c.json, c.version, c.ran = Flags{}, false, false, false
	c.args = mageSpelling(args)
	root := c.command()
	root.SetArgs(c.args)
	root.SetOut(c.out)
	root.SetErr(c.log)
	_, err := root.ExecuteContextC(ctx)
	if err != nil && !c.ran {
		return usageError{err} // cobra's own: an unknown flag, a missing value
	}
	return err
}

// mageSpelling splits the command of args written as mage writes it
// ("build:recipe") into words. Only the command is split, never an
// argument such as image:history's hello:gcc-static-amd64.
func mageSpelling(args []string) []string {
	out := append([]string{}, args...) // never nil: cobra reads os.Args for nil
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--":
			return out
		case strings.HasPrefix(a, "-"):
			if takesValue(a) {
				i++ // the flag's value
			}
		case a == "help":
		default:
			if strings.Contains(a, ":") {
				return slices.Concat(out[:i], strings.Split(a, ":"), out[i+1:])
			}
			return out
		}
	}
	return out
}

// takesValue says whether the flag arg ("--out", "-j") is followed by its
// value as the next argument.
func takesValue(arg string) bool {
	if strings.Contains(arg, "=") {
		return false
	}
	name := strings.TrimLeft(arg, "-")
	for _, v := range Variables {
		if v.Flag != "" && (name == v.Flag || name == v.Short) {
			return v.Kind == FlagValue || v.Kind == FlagList
		}
	}
	return false
}

// Usage lists the commands, the flags with the variables they set, and
// the variables no flag sets.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fromscratch COMMAND [ARGS] [FLAGS]   (or mage's spelling: fromscratch build:recipe hello)")
	fmt.Fprintln(w, "commands:")
	tw := newTable(w)
	for _, v := range verbs {
		fmt.Fprintf(tw, "  %s %s\t%s\n", v.words, strings.Join(v.args, " "), v.doc)
	}
	fmt.Fprintf(tw, "  completion bash|zsh|fish\tthe shell's completion script (source <(fromscratch completion bash))\n")
	fmt.Fprintf(tw, "  help COMMAND\ta command's arguments and flags (or: fromscratch COMMAND --help)\n")
	tw.Flush()
	fmt.Fprintln(w, "flags (a flag wins over its environment variable; a command takes those it uses, which fromscratch COMMAND --help lists):")
	tw = newTable(w)
	for _, v := range Variables {
		if v.Flag != "" {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", flagSpelling(v), v.Name, v.Meaning)
		}
	}
	fmt.Fprintf(tw, "  --json\t\tbuild, release, release push, toolchains list: the result as JSON on stdout\n")
	fmt.Fprintf(tw, "  -V, --version\t\tfromscratch's version, as fromscratch version prints it\n")
	tw.Flush()
	fmt.Fprintln(w, "environment (no flag):")
	tw = newTable(w)
	for _, v := range Variables {
		if v.Flag == "" {
			fmt.Fprintf(tw, "  %s\t%s\n", v.Name, v.Meaning)
		}
	}
	tw.Flush()
}

// flagSpelling is how help shows v's flag: "-p, --platform LIST".
func flagSpelling(v Variable) string {
	s := "--" + v.Flag
	if v.Short != "" {
		s = "-" + v.Short + ", " + s
	}
	switch v.Kind {
	case FlagValue:
		s += " VALUE"
	case FlagList:
		s += " LIST"
	}
	return s
}

// Main is cmd/fromscratch: it finds the project (Bazel's runfiles, or
// the project the working directory is in, see workspace.Root), runs the
// command of args[1:], and returns the exit code: 0, 1 for a failure, 2
// for a bad command line, 3 for a size-gate violation (see ExitCode).
// Results go to stdout; progress, summaries and errors to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := processEnv()
	cfgEnv := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			cfgEnv[k] = v
		}
	}
	defer cpuProfile(cfgEnv["FROMSCRATCH_CPUPROFILE"], stderr)()
	c := New("", stdout, stderr)
	wd, err := os.Getwd()
	if err == nil {
		c.root, err = workspace.Root(func(k string) string { return cfgEnv[k] }, wd, args[0])
	}
	c.rootErr = err // help, version and completion work anywhere
	if err := c.Run(ctx, args[1:]); err != nil {
		fmt.Fprintln(stderr, "fromscratch:", err)
		return ExitCode(err)
	}
	return ExitOK
}

// usageError is a bad command line.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// BazelCheck checks the Bazel files against the code and go.mod (gazelle
// -mode=diff), formats and lints the Starlark (buildifier), lints the
// GitHub workflows (actionlint), and compares the rules_go and gazelle
// versions of go.mod, MODULE.bazel and WORKSPACE.
func (c *CLI) BazelCheck(ctx context.Context) error {
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	return bazelcheck.Check(ctx, cfg.Root, c.run, cfg.Environ, c.out)
}

// cpuProfile writes a Go CPU profile of the run to path, when set: how the
// README's no-op measurement finds where a run's time goes
// (go tool pprof -top fromscratch PROFILE...). It returns what stops it.
func cpuProfile(path string, stderr io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "fromscratch: FROMSCRATCH_CPUPROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
