package cli

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/internal/download"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// Config is everything fromscratch takes from its environment. This file
// is the only place that reads environment variables; every other package
// gets what it needs from a Config.
type Config struct {
	Root string // the project: recipes/, optional toolchains/ and fromscratch.toml
	// ToolchainDir holds the toolchain files and locks the project uses:
	// its toolchains/, or the built-in ones (workspace.Toolchains, which
	// CLI.config asks: it may write them into the cache).
	ToolchainDir string
	OutDir       string // FROMSCRATCH_OUT, else fromscratch.toml's out, else <root>/out
	CacheDir     string // FROMSCRATCH_CACHE, else the user cache dir
	Jobs         int    // FROMSCRATCH_JOBS, else the number of CPUs
	// Platforms limits a run to these platforms (FROMSCRATCH_PLATFORMS,
	// comma-separated, else fromscratch.toml's platforms); empty = all.
	Platforms []recipe.Platform
	// Linkages limits a run to these linkages (FROMSCRATCH_LINKAGES,
	// comma-separated, else fromscratch.toml's linkages); empty = both.
	Linkages []recipe.Linkage
	// Toolchains limits a run to these toolchains (FROMSCRATCH_TOOLCHAINS,
	// comma-separated, else fromscratch.toml's toolchains; "prebuilt"
	// names prebuilt recipes); empty = all.
	Toolchains []string
	// Recipes limits the whole-matrix targets to these recipes
	// (FROMSCRATCH_RECIPES, comma-separated); empty = all.
	Recipes []string
	// Shards is how ci:plan cuts the matrix (FROMSCRATCH_SHARDS).
	Shards shard.Split
	// PartialMerge lets matrix:merge leave cells unaccounted for
	// (FROMSCRATCH_PARTIAL).
	PartialMerge bool
	// Commit is $GITHUB_SHA, the commit a workflow buildVerbs; empty outside
	// GitHub Actions (git rev-parse HEAD is asked then).
	Commit string
	// BuildDate is SOURCE_DATE_EPOCH, else DefaultEpoch.
	BuildDate   time.Time
	RequireAll  bool // FROMSCRATCH_REQUIRE_ALL
	Smoke       bool // FROMSCRATCH_SMOKE (default on)
	NoCache     bool // FROMSCRATCH_NO_CACHE
	Verbose     bool // FROMSCRATCH_VERBOSE
	NoTrunc     bool // FROMSCRATCH_NO_TRUNC: image:history shows whole commands
	CacheLink   bool // FROMSCRATCH_CACHE_LINK: restore by hard link instead of copy
	Hermetic    bool // FROMSCRATCH_HERMETIC: every build step in the pinned build root, sandboxed
	ScanData    bool // FROMSCRATCH_SCAN_DATA (default on): package notes, dpkg status entries and the SBOM in images
	CI          bool // CI: no live progress line
	CacheMaxAge time.Duration
	// StallTimeout is FROMSCRATCH_STALL_TIMEOUT: a download that receives
	// nothing this long fails.
	StallTimeout time.Duration
	Gate         matrix.Gate
	// HostPath is $PATH, where toolchains are looked for after their own
	// provisioned directories.
	HostPath []string
	// RemoteCache is FROMSCRATCH_REMOTE_CACHE: HOST/REPOSITORY of an OCI
	// registry that shares the action cache; empty = none.
	RemoteCache string
	// StepSummary is $GITHUB_STEP_SUMMARY: the matrix is appended there.
	StepSummary string
	// Home is $HOME, for the tools (docker) that read their configuration there.
	Home string
	// SigningKey is FROMSCRATCH_SIGNING_KEY: a cosign private key file
	// that release and release:push sign with; empty signs nothing.
	SigningKey string
	// SigningPassword is COSIGN_PASSWORD, SigningKey's password.
	SigningPassword string
	// VerifyKey and VerifySource are verify's public key
	// (FROMSCRATCH_VERIFY_KEY) and the checkout whose inputs the
	// provenance must name (FROMSCRATCH_VERIFY_SOURCE, optional).
	VerifyKey, VerifySource string
	// BuilderID and InvocationID are the workflow and its run, from
	// GitHub's variables, for the provenance; empty outside GitHub Actions.
	BuilderID, InvocationID string
	// Environ is the whole environment, handed on as it is only to go test
	// (whose tests read FROMSCRATCH_* themselves).
	Environ []string
}

// Variable is one setting: the environment variable, the command-line
// flag that overrides it, and what it means. This one table drives the
// environment, the flags, fromscratch help, shell completion and the
// README's table (TestVariablesDocumented, TestREADMEVariables).
type Variable struct {
	Name    string // FROMSCRATCH_PLATFORMS
	Flag    string // "platform" for --platform; "" when no flag sets it (CI, PATH, GitHub's)
	Short   string // a one-letter flag (-v), or ""
	Kind    Kind
	Meaning string
	// For are the verbs whose run the setting changes ("build all",
	// "ci plan"): only they take the flag and show it in their help. The
	// variable is read wherever it matters, whatever the verb.
	For []string
}

// Kind is how a flag sets its variable.
type Kind int

const (
	FlagValue   Kind = iota // --out DIR: the value
	FlagList                // --platform a,b --platform c: comma-separated, the flag may repeat
	FlagBool                // --verbose: true (--verbose=false: false)
	FlagNegated             // --no-smoke: false, for a variable that is true by default
)

// Variables documents every environment variable fromscratch reads, with
// its flag.
var Variables = []Variable{
	{"SOURCE_DATE_EPOCH", "", "", FlagValue, "the build date of every artifact, seconds since 1970 (default 2024-01-01T00:00:00Z)", nil},
	{"FROMSCRATCH_OUT", "out", "o", FlagValue, "output directory instead of out/ (or fromscratch.toml's out)", forVerbs(buildVerbs, repackVerbs, "image load", "image history", "image wrap", "matrix show", "matrix diff", "matrix merge", "release push", "clean")},
	{"FROMSCRATCH_CACHE", "cache", "", FlagValue, "cache directory (default ~/.cache/fromscratch)", forVerbs(buildVerbs, repackVerbs, "image wrap", "init debian", "source pin", "toolchains lock", "toolchains list", "cache prune", "setup", "matrix merge")},
	{"FROMSCRATCH_JOBS", "jobs", "j", FlagValue, "parallel cells (default: the number of CPUs)", forVerbs(buildVerbs, repackVerbs)},
	{"FROMSCRATCH_PLATFORMS", "platform", "p", FlagList, "comma-separated platforms to build, or all (the default: all nine; the README lists them)", forVerbs(buildVerbs, repackVerbs, "matrix merge", "ci plan")},
	{"FROMSCRATCH_TOOLCHAINS", "toolchain", "t", FlagList, `comma-separated toolchains to build, e.g. gcc,zig ("prebuilt": prebuilt recipes; default: all)`, forVerbs(buildVerbs, repackVerbs, "matrix merge", "ci plan")},
	{"FROMSCRATCH_LINKAGES", "linkage", "l", FlagList, "comma-separated linkages to build: static, dynamic (default: both)", forVerbs(buildVerbs, repackVerbs, "matrix merge")},
	{"FROMSCRATCH_RECIPES", "recipe", "r", FlagList, "comma-separated recipes that build (without names), build all, verify repro, release, bench and ci plan cover (default: all)", without(forVerbs(buildVerbs, repackVerbs, "ci plan"), "build recipe")},
	{"FROMSCRATCH_SHARDS", "shards", "", FlagValue, "how ci plan cuts the matrix: platform (default, one shard per platform), toolchain (per platform and toolchain) or single", forVerbs("ci plan")},
	{"FROMSCRATCH_PARTIAL", "partial", "", FlagBool, "boolean: matrix merge accepts cells that no shard built", forVerbs("matrix merge")},
	{"FROMSCRATCH_REQUIRE_ALL", "require-all", "", FlagBool, "boolean: an unavailable toolchain fails the run, as in CI", forVerbs(buildVerbs, repackVerbs)},
	{"FROMSCRATCH_SMOKE", "no-smoke", "", FlagNegated, "boolean, default true: smoke-run every image", buildVerbs},
	{"FROMSCRATCH_NO_CACHE", "no-cache", "", FlagBool, "boolean: compile everything, ignoring the action cache", buildVerbs},
	{"FROMSCRATCH_VERBOSE", "verbose", "v", FlagBool, "boolean: a line per cell", forVerbs(buildVerbs, repackVerbs)},
	{"FROMSCRATCH_NO_TRUNC", "no-trunc", "", FlagBool, "boolean: image history prints whole commands", forVerbs("image history")},
	{"FROMSCRATCH_CACHE_LINK", "cache-link", "", FlagBool, "boolean: restore from the action cache by hard link instead of copy", buildVerbs},
	{"FROMSCRATCH_HERMETIC", "no-hermetic", "", FlagNegated, "boolean, default true: run every build step in the pinned build root (toolchains/buildroot.lock.json), sandboxed by bubblewrap; false uses the host's compilers (for bench's side-by-side measurement)", forVerbs(buildVerbs, repackVerbs, "setup", "toolchains list", "matrix merge")},
	{"FROMSCRATCH_SCAN_DATA", "no-scan-data", "", FlagNegated, "boolean, default true: what scanners read in each image: a package note in every compiled program, a dpkg status entry per Debian package, the image's SPDX SBOM; false leaves them out", forVerbs(buildVerbs, repackVerbs)},
	{"FROMSCRATCH_REMOTE_CACHE", "remote-cache", "", FlagValue, "HOST/REPOSITORY of an OCI registry sharing the action cache (entries tagged with their key)", buildVerbs},
	{"FROMSCRATCH_CACHE_MAX_AGE", "cache-max-age", "", FlagValue, "cache prune removes entries unused for this long (default 720h)", forVerbs("cache prune")},
	{"FROMSCRATCH_STALL_TIMEOUT", "stall-timeout", "", FlagValue, "a download (a source, a Debian package) that receives nothing for this long fails, naming its URL (default 60s)", forVerbs(buildVerbs, repackVerbs, "setup")},
	{"FROMSCRATCH_MAX_GROWTH", "max-growth", "", FlagValue, "size gate of matrix diff and compare, in percent (default 5)", forVerbs("matrix diff", "matrix compare")},
	{"FROMSCRATCH_GATE", "gate", "", FlagValue, `size gate of matrix diff and compare as a JSON file {"max_growth_percent": 5}`, forVerbs("matrix diff", "matrix compare")},
	{"FROMSCRATCH_SIGNING_KEY", "signing-key", "", FlagValue, "a cosign private key file (cosign generate-key-pair): release signs SHA256SUMS with it, release push signs every index and image and attaches its SLSA provenance (default: nothing signed)", forVerbs("release", "release push")},
	{"COSIGN_PASSWORD", "", "", FlagValue, "the password of FROMSCRATCH_SIGNING_KEY, as cosign reads it", nil},
	{"FROMSCRATCH_VERIFY_KEY", "key", "", FlagValue, "verify: the public key (cosign.pub) the signatures and provenance must verify with", forVerbs("verify", "verify image")},
	{"FROMSCRATCH_VERIFY_SOURCE", "source", "", FlagValue, "verify: a checkout whose commit, recipes, pins, patches, toolchain file and locks the provenance must name (default: not compared)", forVerbs("verify", "verify image")},
	{"FROMSCRATCH_CPUPROFILE", "", "", FlagValue, "read by the fromscratch command only (not the mage targets): write a Go CPU profile of the run to this file (how the README's no-op measurement was taken)", nil},
	{"FROMSCRATCH_ZIG_DIR", "", "", FlagValue, "read by the tests only: the directory of a zig to test besides the provisioned one", nil},
	{"CI", "", "", FlagValue, "set (to anything) in CI: no live progress line", nil},
	{"PATH", "", "", FlagValue, "where toolchains are looked for after their provisioned directories", nil},
	{"HOME", "", "", FlagValue, "handed to docker, for its configuration", nil},
	{"DOCKER_HOST", "", "", FlagValue, "handed to docker: the engine smoke runs use", nil},
	{"GITHUB_STEP_SUMMARY", "", "", FlagValue, "set by GitHub Actions: the matrix is appended to it", nil},
	{"GITHUB_SHA", "", "", FlagValue, "set by GitHub Actions: the commit recorded in out/shard.json (else git rev-parse HEAD)", nil},
	{"GITHUB_SERVER_URL", "", "", FlagValue, "set by GitHub Actions: with GITHUB_WORKFLOW_REF, the builder id of the provenance", nil},
	{"GITHUB_WORKFLOW_REF", "", "", FlagValue, "set by GitHub Actions: the workflow, the provenance's builder id", nil},
	{"GITHUB_REPOSITORY", "", "", FlagValue, "set by GitHub Actions: with GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT, the provenance's invocation id", nil},
	{"GITHUB_RUN_ID", "", "", FlagValue, "set by GitHub Actions: the run, in the provenance's invocation id", nil},
	{"GITHUB_RUN_ATTEMPT", "", "", FlagValue, "set by GitHub Actions: the attempt, in the provenance's invocation id", nil},
}

// buildVerbs are the verbs that build the matrix (or part of it) with
// every setting of a build; repackVerbs the verbs that pack and run images
// again from out/bin.
var (
	buildVerbs  = []string{"build", "build all", "build recipe", "verify repro", "release", "bench", "bench files", "bench real"}
	repackVerbs = []string{"image all", "image run"}
)

// forVerbs is the verbs of each argument (a verb, or a list of them).
func forVerbs(verbs ...any) []string {
	var out []string
	for _, v := range verbs {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

// without is verbs without drop.
func without(verbs []string, drop string) []string {
	return slices.DeleteFunc(slices.Clone(verbs), func(v string) bool { return v == drop })
}

// Flags are the settings given on the command line, by variable name
// (FROMSCRATCH_PLATFORMS: "linux/amd64"). They win over the environment.
type Flags map[string]string

// variable is the row of Variables named name.
func variable(name string) (Variable, bool) {
	for _, v := range Variables {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// unknownVariables refuses every FROMSCRATCH_* variable of vars that
// fromscratch does not read, naming the closest one it does: a mistyped
// FROMSCRATCH_PLATFORM would otherwise build every platform.
func unknownVariables(vars map[string]string) []error {
	const prefix = "FROMSCRATCH_"
	var known []string // without the prefix, so that only the rest counts
	for _, v := range Variables {
		if rest, ok := strings.CutPrefix(v.Name, prefix); ok {
			known = append(known, rest)
		}
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || slices.Contains(known, rest) {
			continue
		}
		hint := ""
		if c := recipe.Closest(rest, known); c != "" {
			hint = fmt.Sprintf(" (did you mean %s%s?)", prefix, c)
		}
		errs = append(errs, fmt.Errorf("%s: no such variable%s (fromscratch help lists them)", k, hint))
	}
	return errs
}

// DefaultEpoch is the build date when SOURCE_DATE_EPOCH is not set:
// 2024-01-01T00:00:00Z. It is a constant, not the clock and not a file's
// mtime (a fresh clone's mtimes are the checkout time), so two buildVerbs of the
// same inputs agree without any setting. Release buildVerbs set
// SOURCE_DATE_EPOCH, usually to the commit time.
const DefaultEpoch = 1704067200

// MaxEpoch is the largest build date every artifact can carry: a USTAR
// header's mtime has 11 octal digits (8^11-1 s, in the year 2242).
const MaxEpoch = 1<<33 - 1

// BuildDate is the one function that decides the build date: the value of
// SOURCE_DATE_EPOCH if set, else DefaultEpoch.
func BuildDate(sourceDateEpoch string) (time.Time, error) {
	if sourceDateEpoch == "" {
		return time.Unix(DefaultEpoch, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(sourceDateEpoch, 10, 64)
	if err != nil || n < 0 || n > MaxEpoch {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970, from 0 to %d (%s, the latest date a tar header holds)",
			sourceDateEpoch, int64(MaxEpoch), time.Unix(MaxEpoch, 0).UTC().Format(time.RFC3339))
	}
	return time.Unix(n, 0).UTC(), nil
}

// ParseBool reads a boolean variable: 1/0, true/false, yes/no, on/off
// (any case); empty is def.
func ParseBool(name, value string, def bool) (bool, error) {
	return parseBool(fmt.Sprintf("%s=%q", name, value), value, def)
}

// parseBool is ParseBool with the setting named as errors name it.
func parseBool(named, value string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "":
		return def, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: want a boolean: 1, true, yes, on or 0, false, no, off", named)
}

// processEnv is the process environment: this is the one place that
// reads it.
func processEnv() []string { return os.Environ() }

// LoadConfig reads the environment (KEY=VALUE entries, as os.Environ
// gives them) for the repository at root. Every bad value is reported,
// naming its variable.
func LoadConfig(root string, environ []string) (Config, error) {
	return loadConfig(root, environ, nil)
}

// settings are the environment with the command line's flags over it.
type settings struct {
	vars  map[string]string
	flags Flags
}

func (s settings) get(k string) string {
	if v, ok := s.flags[k]; ok {
		return v
	}
	return s.vars[k]
}

// named is how an error names the setting k and its value: --jobs="0"
// when a flag gave it, else FROMSCRATCH_JOBS="0".
func (s settings) named(k string) string {
	if v, ok := s.flags[k]; ok {
		if row, ok := variable(k); ok && row.Flag != "" {
			return fmt.Sprintf("--%s=%q", row.Flag, v)
		}
	}
	return fmt.Sprintf("%s=%q", k, s.vars[k])
}

// loadConfig is LoadConfig with the command line's flags, which win.
func loadConfig(root string, environ []string, flags Flags) (Config, error) {
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	set := settings{vars: vars, flags: flags}
	getenv := set.get
	abs, err := filepath.Abs(root)
	if err != nil {
		return Config{}, fmt.Errorf("resolving root: %w", err)
	}
	file, err := workspace.ReadFile(abs)
	if err != nil {
		return Config{}, usageError{err} // a bad setting, as a bad flag or variable is
	}
	c := Config{Root: abs, Jobs: runtime.NumCPU(), CacheMaxAge: 720 * time.Hour, Gate: matrix.DefaultGate(),
		CI: getenv("CI") != "", StepSummary: getenv("GITHUB_STEP_SUMMARY"), Home: getenv("HOME"), Environ: environ}
	errs := unknownVariables(vars)
	fail := func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs = append(errs, joined.Unwrap()...)
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	c.BuildDate, err = BuildDate(getenv("SOURCE_DATE_EPOCH"))
	fail(err)
	for _, b := range []struct {
		name string
		dst  *bool
		def  bool
	}{
		{"FROMSCRATCH_REQUIRE_ALL", &c.RequireAll, false},
		{"FROMSCRATCH_SMOKE", &c.Smoke, true},
		{"FROMSCRATCH_NO_CACHE", &c.NoCache, false},
		{"FROMSCRATCH_VERBOSE", &c.Verbose, false},
		{"FROMSCRATCH_NO_TRUNC", &c.NoTrunc, false},
		{"FROMSCRATCH_CACHE_LINK", &c.CacheLink, false},
		{"FROMSCRATCH_HERMETIC", &c.Hermetic, true},
		{"FROMSCRATCH_SCAN_DATA", &c.ScanData, true},
		{"FROMSCRATCH_PARTIAL", &c.PartialMerge, false},
	} {
		*b.dst, err = parseBool(set.named(b.name), getenv(b.name), b.def)
		fail(err)
	}
	if s := getenv("FROMSCRATCH_JOBS"); s != "" {
		if c.Jobs, err = strconv.Atoi(s); err != nil || c.Jobs < 1 {
			fail(fmt.Errorf("%s: want a positive number of parallel cells", set.named("FROMSCRATCH_JOBS")))
		}
	}
	c.OutDir = filepath.Join(abs, "out")
	if file.Out != "" {
		c.OutDir = file.Out
	}
	if o := getenv("FROMSCRATCH_OUT"); o != "" {
		c.OutDir, err = filepath.Abs(o)
		fail(err)
	}
	if d := getenv("FROMSCRATCH_CACHE"); d != "" {
		c.CacheDir, err = filepath.Abs(d)
		fail(err)
	} else if base, err := os.UserCacheDir(); err == nil {
		c.CacheDir = filepath.Join(base, "fromscratch")
	} else {
		fail(fmt.Errorf("finding the user cache dir (set FROMSCRATCH_CACHE or --cache): %w", err))
	}
	if s := getenv("FROMSCRATCH_REMOTE_CACHE"); s != "" {
		if host, repo, ok := strings.Cut(s, "/"); !ok || host == "" || repo == "" || strings.Contains(s, "://") || strings.ContainsAny(repo, ":@") {
			fail(fmt.Errorf("%s: want HOST/REPOSITORY without scheme or tag, e.g. ghcr.io/owner/fromscratch-cache", set.named("FROMSCRATCH_REMOTE_CACHE")))
		}
		c.RemoteCache = s
	}
	// The environment and the flags over fromscratch.toml.
	c.Platforms, c.Toolchains, c.Linkages = file.Platforms, file.Toolchains, file.Linkages
	if s := getenv("FROMSCRATCH_PLATFORMS"); s != "" {
		c.Platforms, err = recipe.ParsePlatforms(splitList(s))
		if err != nil {
			fail(fmt.Errorf("%s: %w", set.named("FROMSCRATCH_PLATFORMS"), err))
		}
	}
	if s := getenv("FROMSCRATCH_LINKAGES"); s != "" {
		c.Linkages, err = parseList(set, s, "FROMSCRATCH_LINKAGES", recipe.ParseLinkage)
		fail(err)
	}
	tcs := append(workspace.ToolchainNames(abs), prebuiltToolchain)
	slices.Sort(tcs)
	if s := splitList(getenv("FROMSCRATCH_TOOLCHAINS")); s != nil {
		c.Toolchains = s
		fail(checkNames(set.named("FROMSCRATCH_TOOLCHAINS"), "toolchain", s, tcs))
	} else {
		for i, t := range c.Toolchains { // fromscratch.toml's
			fail(checkNames(fmt.Sprintf("%s: toolchains[%d]", workspace.FileName, i), "toolchain", []string{t}, tcs))
		}
	}
	c.Recipes = splitList(getenv("FROMSCRATCH_RECIPES"))
	if have, err := recipeNames(abs); err == nil && len(c.Recipes) > 0 { // no recipes/: the verb says so if it needs them
		fail(checkNames(set.named("FROMSCRATCH_RECIPES"), "recipe", c.Recipes, have))
	}
	c.Shards, err = shard.ParseSplit(getenv("FROMSCRATCH_SHARDS"))
	if err != nil {
		fail(fmt.Errorf("%s: %w", set.named("FROMSCRATCH_SHARDS"), err))
	}
	c.Commit = strings.TrimSpace(getenv("GITHUB_SHA"))
	if s := getenv("FROMSCRATCH_CACHE_MAX_AGE"); s != "" {
		if c.CacheMaxAge, err = time.ParseDuration(s); err != nil || c.CacheMaxAge < 0 {
			fail(fmt.Errorf("%s: want a duration such as 720h", set.named("FROMSCRATCH_CACHE_MAX_AGE")))
		}
	}
	c.StallTimeout = download.DefaultStall
	if s := getenv("FROMSCRATCH_STALL_TIMEOUT"); s != "" {
		if c.StallTimeout, err = time.ParseDuration(s); err != nil || c.StallTimeout <= 0 {
			fail(fmt.Errorf("%s: want a positive duration such as 60s", set.named("FROMSCRATCH_STALL_TIMEOUT")))
		}
	}
	if p := getenv("FROMSCRATCH_GATE"); p != "" {
		c.Gate, err = matrix.LoadGate(p)
		fail(err)
	}
	if s := getenv("FROMSCRATCH_MAX_GROWTH"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			fail(fmt.Errorf("%s: want a non-negative percentage such as 5", set.named("FROMSCRATCH_MAX_GROWTH")))
		}
		c.Gate.MaxGrowthPercent = v
	}
	c.HostPath = filepath.SplitList(getenv("PATH"))
	c.SigningKey, c.SigningPassword = getenv("FROMSCRATCH_SIGNING_KEY"), getenv("COSIGN_PASSWORD")
	c.VerifyKey, c.VerifySource = getenv("FROMSCRATCH_VERIFY_KEY"), getenv("FROMSCRATCH_VERIFY_SOURCE")
	c.BuilderID, c.InvocationID = githubIdentity(getenv)
	if len(errs) > 0 {
		return c, usageError{settingErrors(errs)}
	}
	return c, nil
}

// checkNames refuses each of names that is not one of known, as setting
// names it, with the closest known one: --toolchain="gccc": unknown
// toolchain "gccc", did you mean gcc? (allowed: gcc, musl-gcc, prebuilt, zig).
func checkNames(setting, what string, names, known []string) error {
	var errs []error
	for _, n := range names {
		if !slices.Contains(known, n) {
			errs = append(errs, fmt.Errorf("%s: %w", setting, unknownName(what, n, known)))
		}
	}
	return errors.Join(errs...)
}

// unknownName is the error of name, which is not one of the known
// names of what (a toolchain, a recipe).
func unknownName(what, name string, known []string) error {
	hint := ""
	if c := recipe.Closest(name, known); c != "" {
		hint = fmt.Sprintf(", did you mean %s?", c)
	}
	return fmt.Errorf("unknown %s %q%s (allowed: %s)", what, name, hint, strings.Join(known, ", "))
}

// recipeNames are the recipes of the project at root: the folders of its
// recipes/ with a recipe.toml, sorted.
func recipeNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "recipes"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, "recipes", e.Name(), recipe.FileName)); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// githubIdentity is the workflow (the provenance's builder id,
// https://github.com/OWNER/REPO/.github/workflows/F.yml@REF) and its run
// (the invocation id, .../actions/runs/ID/attempts/N), from GitHub's
// variables; empty outside GitHub Actions.
func githubIdentity(getenv func(string) string) (builder, invocation string) {
	server := getenv("GITHUB_SERVER_URL")
	if server == "" {
		return "", ""
	}
	if w := getenv("GITHUB_WORKFLOW_REF"); w != "" {
		builder = server + "/" + w
	}
	if repo, run := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); repo != "" && run != "" {
		invocation = server + "/" + repo + "/actions/runs/" + run
		if a := getenv("GITHUB_RUN_ATTEMPT"); a != "" {
			invocation += "/attempts/" + a
		}
	}
	return builder, invocation
}

// settingErrors are every bad setting of a run, reported at once, one a
// line.
type settingErrors []error

func (e settingErrors) Error() string {
	if len(e) == 1 {
		return "settings: " + e[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad settings:", len(e))
	for _, err := range e {
		b.WriteString("\n  " + err.Error())
	}
	return b.String()
}

func (e settingErrors) Unwrap() []error { return e }

// parseList reads a comma-separated list of the variable k, each item
// checked by parse; every bad item is named.
func parseList[T any](set settings, s, k string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	var errs []error
	for _, f := range splitList(s) {
		v, err := parse(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", set.named(k), err))
			continue
		}
		out = append(out, v)
	}
	return out, errors.Join(errs...)
}

// splitList reads a comma-separated list, dropping blanks: "gcc, zig" is
// [gcc zig], "" is nil.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
