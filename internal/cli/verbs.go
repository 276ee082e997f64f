package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/fromscratch/fromscratch/internal/bazelcheck"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// verb is one target: its words ("build all"), its arguments and its body.
// The mage targets and cmd/fromscratch are both shells over this table.
type verb struct {
	words string
	args  []string // names of the required arguments
	doc   string
	run   func(c *CLI, ctx context.Context, args []string) error
}

var verbs = []verb{
	{"build all", nil, "build every cell, pack the images, smoke-run them, write out/matrix.*", func(c *CLI, ctx context.Context, _ []string) error { return c.Build(ctx, nil) }},
	{"build recipe", []string{"NAME"}, "the same for one recipe", func(c *CLI, ctx context.Context, a []string) error { return c.Build(ctx, a) }},
	{"image all", nil, "pack the images again from out/bin", func(c *CLI, ctx context.Context, _ []string) error { return c.Images(ctx) }},
	{"image load", nil, "docker load every archive of out/docker", func(c *CLI, ctx context.Context, _ []string) error { return c.Load(ctx) }},
	{"image run", nil, "smoke-run every image", func(c *CLI, ctx context.Context, _ []string) error { return c.Smoke(ctx) }},
	{"image history", []string{"REF"}, "layers of an image, like docker image history (REF: hello:gcc-dynamic-amd64)", func(c *CLI, ctx context.Context, a []string) error { return c.History(ctx, a[0]) }},
	{"image wrap", []string{"PATH"}, "pack an existing ELF program and its closure into out/wrap/<name>/", func(c *CLI, ctx context.Context, a []string) error { return c.Wrap(ctx, a[0]) }},
	{"source pin", []string{"NAME[=VERSION]"}, "print the [source] table pinning a Debian source package (each file's sha256 from its .dsc) and keep its files in the source store", func(c *CLI, ctx context.Context, a []string) error { return c.SourcePin(ctx, a[0]) }},
	{"toolchains lock", nil, "refresh toolchains/runtime.lock.json (the pinned target-architecture runtime packages) and toolchains/buildroot.lock.json (the build root)", func(c *CLI, ctx context.Context, _ []string) error { return c.LockToolchains(ctx) }},
	{"toolchains list", nil, "each toolchain and platform with its version or why it is unavailable", func(c *CLI, ctx context.Context, _ []string) error { return c.ListToolchains(ctx) }},
	{"matrix show", nil, "the size tables of out/matrix.json", func(c *CLI, ctx context.Context, _ []string) error { return c.ShowMatrix(ctx) }},
	{"matrix diff", []string{"OLD.json"}, "size deltas of out/matrix.json against OLD; fails past the gate", func(c *CLI, ctx context.Context, a []string) error { return c.DiffMatrix(ctx, a[0], "") }},
	{"matrix compare", []string{"OLD.json", "NEW.json"}, "size deltas between two files; fails past the gate", func(c *CLI, ctx context.Context, a []string) error { return c.DiffMatrix(ctx, a[0], a[1]) }},
	{"verify repro", nil, "build the matrix twice under varied conditions and compare every output", func(c *CLI, ctx context.Context, _ []string) error { return c.VerifyRepro(ctx) }},
	{"release push", []string{"REGISTRY/PREFIX"}, "push out/oci's indexes to PREFIX/<recipe>:<toolchain>-<linkage>, each image's SBOM as an OCI referrer", func(c *CLI, ctx context.Context, a []string) error { return c.Push(ctx, a[0]) }},
	{"release", nil, "out/release/: OCI layouts, SBOMs, the matrix and SHA256SUMS", func(c *CLI, ctx context.Context, _ []string) error { return c.Release(ctx) }},
	{"bench real", nil, "the real programs: fromscratch cold and warm against configure and make by hand, split into configure, make and the rest", func(c *CLI, ctx context.Context, _ []string) error { return c.BenchReal(ctx) }},
	{"bench files", nil, "the same as bench", func(c *CLI, ctx context.Context, _ []string) error { return c.Bench(ctx) }},
	{"bench", nil, "the recipes of files: fromscratch cold, warm and no-op against the Dockerfile way", func(c *CLI, ctx context.Context, _ []string) error { return c.Bench(ctx) }},
	{"cache prune", nil, "remove action-cache entries unused for FROMSCRATCH_CACHE_MAX_AGE", func(c *CLI, ctx context.Context, _ []string) error { return c.PruneCache(ctx) }},
	{"setup", nil, "provision toolchains, qemu binfmt and a Docker engine", func(c *CLI, ctx context.Context, _ []string) error { return c.Setup(ctx) }},
	{"test", nil, "go vet and the test suite", func(c *CLI, ctx context.Context, _ []string) error { return c.Test(ctx) }},
	{"bazel check", nil, "gazelle, buildifier and actionlint in check mode; rules_go and gazelle versions agree", func(c *CLI, ctx context.Context, _ []string) error { return c.BazelCheck(ctx) }},
	{"ci plan", nil, "the shard matrix as JSON for a GitHub Actions strategy.matrix (FROMSCRATCH_SHARDS)", func(c *CLI, ctx context.Context, _ []string) error { return c.Plan(ctx) }},
	{"matrix merge", []string{"DIR..."}, "merge shard outputs (out/ dirs with shard.json) into out/, digest-identical to one build:all", func(c *CLI, ctx context.Context, a []string) error { return c.Merge(ctx, a) }},
	{"clean", nil, "remove what fromscratch wrote in out/", func(c *CLI, ctx context.Context, _ []string) error { return c.Clean() }},
}

// Run runs the target named by args, e.g. ["build", "recipe", "hello"]
// or ["build:recipe", "hello"] (mage's spelling).
func (c *CLI) Run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		args = append(strings.Split(args[0], ":"), args[1:]...)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		Usage(c.out)
		return nil
	}
	for _, v := range verbs {
		words := strings.Fields(v.words)
		if len(args) < len(words) || strings.Join(args[:len(words)], " ") != v.words {
			continue
		}
		rest := args[len(words):]
		if n := len(v.args); n > 0 && strings.HasSuffix(v.args[n-1], "...") && len(rest) >= n {
			return v.run(c, ctx, rest) // the last argument repeats
		}
		if len(rest) != len(v.args) {
			return usageError{fmt.Errorf("%s: want %d argument(s) %s, got %d (%q)", v.words, len(v.args), strings.Join(v.args, " "), len(rest), rest)}
		}
		return v.run(c, ctx, rest)
	}
	return usageError{fmt.Errorf("unknown command %q (fromscratch help lists them)", strings.Join(args, " "))}
}

// Usage lists the targets and the environment variables.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fromscratch COMMAND [ARGS]")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range verbs {
		fmt.Fprintf(tw, "  %s %s\t%s\n", v.words, strings.Join(v.args, " "), v.doc)
	}
	tw.Flush()
	fmt.Fprintln(w, "environment:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range Variables {
		fmt.Fprintf(tw, "  %s\t%s\n", v.Name, v.Meaning)
	}
	tw.Flush()
}

// Main is cmd/fromscratch: it finds the repository (Bazel's runfiles, or
// the repository the working directory is in), runs the command of
// args[1:], and returns the exit code: 0, 1 for a failure, 2 for a bad
// command line, 3 for a size-gate violation (see ExitCode).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := processEnv()
	cfgEnv := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			cfgEnv[k] = v
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "fromscratch:", err)
		return 1
	}
	root, err := workspace.Root(func(k string) string { return cfgEnv[k] }, wd, args[0])
	if err != nil {
		fmt.Fprintln(stderr, "fromscratch:", err)
		return 1
	}
	c := New(root, stdout)
	if err := c.Run(ctx, args[1:]); err != nil {
		fmt.Fprintln(stderr, "fromscratch:", err)
		return ExitCode(err)
	}
	return ExitOK
}

// usageError is a bad command line.
type usageError struct{ error }

// BazelCheck checks the Bazel files against the code and go.mod (gazelle
// -mode=diff), formats and lints the Starlark (buildifier), lints the
// GitHub workflows (actionlint), and compares the rules_go and gazelle
// versions of go.mod, MODULE.bazel and WORKSPACE.
func (c *CLI) BazelCheck(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return bazelcheck.Check(ctx, cfg.Root, c.run, cfg.Environ, c.out)
}
