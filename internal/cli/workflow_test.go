package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// This file runs .github/workflows/matrix.yml on this machine, the way
// GitHub Actions would, so the workflow is never dead text.
//
// Run for real: every run: step of every job, with bash -eo pipefail (the
// workflow's default shell), in a fresh copy of the repository per job
// (its tracked and untracked-but-not-ignored files, no .git), with the
// workflow, job and step env, ${{ matrix.* }}, ${{ steps.*.outputs.* }},
// ${{ needs.*.outputs.* }} and the github context substituted, and
// $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, $GITHUB_SHA, $GITHUB_REF provided.
// The shard jobs run two at a time, each in its own directory; if:
// conditions are evaluated.
//
// Emulated:
//   - actions/checkout: the fresh copy made when the job starts;
//   - actions/setup-go: skipped (this Go is used);
//   - actions/cache: a miss, as on a runner whose cache was evicted: every
//     job gets its own empty FROMSCRATCH_CACHE, with only the provisioned
//     toolchain (zig/), zig's libc builds (zig-cache/) and the pinned
//     Debian runtime packages (debian/) linked in from the test's shared
//     cache (its FROMSCRATCH_CACHE, else /var/cache/fromscratch), as bench
//     does: provisioning is not what is measured;
//   - vars.*: the repository variables the test sets:
//     FROMSCRATCH_PLATFORMS, the four platforms of CI's tests
//     (recipe.CIPlatforms; unset, the plan would have a shard for each of
//     the nine), FROMSCRATCH_REMOTE_CACHE, a real docker-registry on
//     127.0.0.1, so the shards share compiled outputs only through it, and
//     RELEASE_REPOSITORY, the same registry behind a counting proxy;
//   - actions/upload-artifact / download-artifact: copies into and out of
//     an artifacts folder (hidden files left out, as upload-artifact@v4
//     does by default);
//   - the step with id "baseline" (gh run download of the base branch's
//     matrix): the single build's matrix.json is put where it would land,
//     so the size gate step runs for real against it;
//   - the ref is a tag (refs/tags/v0.0.0), so the push step runs for real
//     against RELEASE_REPOSITORY; the GHCR logins' if: are false there
//     (neither the cache nor the release repository is on ghcr.io);
//   - secrets.* other than GITHUB_TOKEN: unset, as in a fork (the push is
//     not key-signed); sigstore/cosign-installer: skipped, and the keyless
//     signing step, without GitHub's OIDC token, signs nothing.
//
// The test also restricts the recipes (FROMSCRATCH_RECIPES=hello,multifile)
// and the toolchains (gcc and musl-gcc) to stay affordable on two cores.

type workflowFile struct {
	Env  map[string]string       `yaml:"env"`
	Jobs map[string]*workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Needs    any               `yaml:"needs"`
	Outputs  map[string]string `yaml:"outputs"`
	Env      map[string]string `yaml:"env"`
	Strategy struct {
		Matrix any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []workflowStep `yaml:"steps"`
}

type workflowStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
	With map[string]any    `yaml:"with"`
}

// with is a with: input as text ("" when absent).
func with(st workflowStep, key string) string {
	if v, ok := st.With[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

func (j *workflowJob) needs() []string {
	switch v := j.Needs.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// runner runs one workflow in a directory tree, keeping job outputs and
// artifacts.
type runner struct {
	t         *testing.T
	repo      string // the repository copied for each job
	dir       string // jobs/, artifacts/
	wf        *workflowFile
	github    map[string]string
	vars      map[string]string // the repository variables
	overrides []string          // KEY=VALUE, applied last
	baseline  string            // matrix.json standing in for the base branch's
	// sharedCache, when set, gives every job its own empty
	// FROMSCRATCH_CACHE with this cache's zig/, zig-cache/ and debian/
	// linked in.
	sharedCache string

	mu          sync.Mutex
	jobOutputs  map[string]map[string]string
	jobDirs     map[string][]string
	stepSummary map[string]string
}

// stepContext is what expressions of one step see.
type stepContext struct {
	r       *runner
	matrix  map[string]string
	steps   map[string]map[string]string
	env     map[string]string
	jobName string
	cache   string // the job's FROMSCRATCH_CACHE, if its own
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// subst replaces every ${{ expr }} of s.
func (sc *stepContext) subst(s string) (string, error) {
	var err error
	out := exprRe.ReplaceAllStringFunc(s, func(m string) string {
		v, e := sc.eval(exprRe.FindStringSubmatch(m)[1])
		if e != nil && err == nil {
			err = e
		}
		return v
	})
	return out, err
}

// eval evaluates the expressions the workflow uses: contexts, 'literals',
// a || b. Anything else is an error, so the test has to learn it.
func (sc *stepContext) eval(e string) (string, error) {
	e = strings.TrimSpace(e)
	if parts := strings.Split(e, "||"); len(parts) > 1 {
		for _, p := range parts {
			v, err := sc.eval(p)
			if err != nil || v != "" {
				return v, err
			}
		}
		return "", nil
	}
	if strings.HasPrefix(e, "'") && strings.HasSuffix(e, "'") {
		return strings.Trim(e, "'"), nil
	}
	f := strings.Split(e, ".")
	switch {
	case f[0] == "matrix" && len(f) == 2 && sc.matrix != nil:
		return sc.matrix[f[1]], nil
	case f[0] == "steps" && len(f) == 4 && f[2] == "outputs":
		return sc.steps[f[1]][f[3]], nil
	case f[0] == "needs" && len(f) == 4 && f[2] == "outputs":
		sc.r.mu.Lock()
		defer sc.r.mu.Unlock()
		return sc.r.jobOutputs[f[1]][f[3]], nil
	case f[0] == "env" && len(f) == 2:
		return sc.env[f[1]], nil
	case f[0] == "github":
		return sc.r.github[strings.Join(f[1:], ".")], nil
	case f[0] == "vars" && len(f) == 2:
		return sc.r.vars[f[1]], nil
	case e == "secrets.GITHUB_TOKEN":
		return "emulated-token", nil
	case f[0] == "secrets" && len(f) == 2:
		// The repository's other secrets (the cosign key) are unset, as
		// in a fork.
		return "", nil
	}
	return "", fmt.Errorf("the workflow test cannot evaluate ${{ %s }}: teach it (workflow_test.go)", e)
}

var (
	startsWithRe = regexp.MustCompile(`^startsWith\((.+),\s*'([^']*)'\)$`)
	compareRe    = regexp.MustCompile(`^(.+?)\s*(==|!=)\s*(.+)$`)
)

// cond evaluates an if: condition.
func (sc *stepContext) cond(c string) (bool, error) {
	c = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(c), "${{"), "}}"))
	if c == "" {
		return true, nil
	}
	if parts := strings.Split(c, "&&"); len(parts) > 1 {
		for _, p := range parts {
			if ok, err := sc.cond(p); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	if m := startsWithRe.FindStringSubmatch(c); m != nil {
		v, err := sc.eval(m[1])
		return strings.HasPrefix(v, m[2]), err
	}
	if m := compareRe.FindStringSubmatch(c); m != nil {
		a, err := sc.eval(m[1])
		if err != nil {
			return false, err
		}
		b, err := sc.eval(m[3])
		return (a == b) == (m[2] == "=="), err
	}
	return false, fmt.Errorf("the workflow test cannot evaluate if: %s: teach it (workflow_test.go)", c)
}

// runJob runs one job (one matrix entry of it) in a fresh copy.
func (r *runner) runJob(name string, job *workflowJob, m map[string]string) error {
	id := name
	if m != nil {
		id += "-" + m["name"]
	}
	dir := filepath.Join(r.dir, "jobs", id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	meta := filepath.Join(r.dir, "meta", id)
	if err := os.MkdirAll(meta, 0o755); err != nil {
		return err
	}
	summary := filepath.Join(meta, "step_summary.md")
	sc := &stepContext{r: r, matrix: m, steps: map[string]map[string]string{}, env: map[string]string{}, jobName: id}
	if r.sharedCache != "" {
		sc.cache = filepath.Join(r.dir, "caches", id)
		if err := testutil.LinkProvisioned(r.sharedCache, sc.cache); err != nil {
			return err
		}
	}
	for k, v := range r.wf.Env {
		sc.env[k] = v
	}
	for k, v := range job.Env {
		sc.env[k] = v
	}
	for i, st := range job.Steps {
		label := fmt.Sprintf("%s step %d (%s%s)", id, i+1, st.Name, st.Uses)
		ok, err := sc.cond(st.If)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		if !ok {
			r.t.Logf("%s: skipped, if: %s is false", label, st.If)
			continue
		}
		outputs := map[string]string{}
		switch action, _, _ := strings.Cut(st.Uses, "@"); {
		case action == "actions/checkout":
			testutil.CopyRepo(r.t, r.repo, dir)
		case action == "actions/setup-go", action == "actions/cache":
			// this machine's Go; the shared warm cache of FROMSCRATCH_CACHE
		case action == "sigstore/cosign-installer":
			// no cosign here: the keyless signing step finds no OIDC
			// token (ACTIONS_ID_TOKEN_REQUEST_URL) and signs nothing
		case action == "actions/upload-artifact":
			if err := r.upload(sc, dir, st); err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
		case action == "actions/download-artifact":
			if err := r.download(sc, dir, st); err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
		case st.Uses != "":
			return fmt.Errorf("%s: the workflow test does not know %s: teach it", label, st.Uses)
		case st.ID == "baseline":
			// gh run download of the base branch's matrix, emulated.
			if err := copyFile(r.baseline, filepath.Join(dir, "baseline", "matrix.json")); err != nil {
				return err
			}
			outputs["path"] = "baseline/matrix.json"
		default:
			if outputs, err = r.runStep(sc, dir, meta, summary, label, i, st); err != nil {
				return err
			}
		}
		if st.ID != "" {
			sc.steps[st.ID] = outputs
		}
	}
	outs := map[string]string{}
	for k, v := range job.Outputs {
		if outs[k], _ = sc.subst(v); outs[k] == "" {
			return fmt.Errorf("%s: output %s is empty", id, k)
		}
	}
	data, _ := os.ReadFile(summary)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(outs) > 0 {
		r.jobOutputs[name] = outs
	}
	r.jobDirs[name] = append(r.jobDirs[name], dir)
	r.stepSummary[id] = string(data)
	return nil
}

// runStep runs one run: step with bash -eo pipefail and returns what it
// wrote to $GITHUB_OUTPUT.
func (r *runner) runStep(sc *stepContext, dir, meta, summary, label string, i int, st workflowStep) (map[string]string, error) {
	script, err := sc.subst(st.Run)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	env := map[string]string{}
	for k, v := range sc.env {
		if env[k], err = sc.subst(v); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
	}
	for k, v := range st.Env {
		if env[k], err = sc.subst(v); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
	}
	outFile := filepath.Join(meta, fmt.Sprintf("output-%d", i))
	scriptFile := filepath.Join(meta, fmt.Sprintf("step-%d.sh", i))
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		return nil, err
	}
	var environ []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FROMSCRATCH_") || strings.HasPrefix(k, "GITHUB_") || k == "CI" || k == "SOURCE_DATE_EPOCH" {
			continue
		}
		environ = append(environ, kv)
	}
	for k, v := range map[string]string{"GITHUB_SHA": r.github["sha"], "GITHUB_REF": r.github["ref"],
		"GITHUB_REPOSITORY": r.github["repository"], "GITHUB_REPOSITORY_OWNER": r.github["repository_owner"],
		"GITHUB_WORKSPACE": dir, "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": summary, "RUNNER_TEMP": meta} {
		environ = append(environ, k+"="+v)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		environ = append(environ, k+"="+env[k])
	}
	environ = append(environ, r.overrides...)
	if sc.cache != "" {
		environ = append(environ, "FROMSCRATCH_CACHE="+sc.cache)
	}
	cmd := exec.CommandContext(r.t.Context(), "bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile)
	cmd.Dir, cmd.Env = dir, environ
	start := time.Now()
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(meta, fmt.Sprintf("log-%d.txt", i)), out, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: %v:\n%s", label, err, tailLines(string(out), 40))
	}
	r.t.Logf("%s: ran in %s", label, time.Since(start).Round(100*time.Millisecond))
	return readOutputs(outFile)
}

// readOutputs parses $GITHUB_OUTPUT: name=value lines and name<<DELIM
// blocks.
func readOutputs(p string) (map[string]string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") {
			var vals []string
			for sc.Scan() && sc.Text() != delim {
				vals = append(vals, sc.Text())
			}
			out[k] = strings.Join(vals, "\n")
		} else if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out, sc.Err()
}

func (r *runner) upload(sc *stepContext, dir string, st workflowStep) error {
	name, err := sc.subst(with(st, "name"))
	if err != nil {
		return err
	}
	src := filepath.Join(dir, strings.TrimSuffix(with(st, "path"), "/"))
	dst := filepath.Join(r.dir, "artifacts", name)
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("artifact %s uploaded twice", name)
	}
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("artifact %s: %w", name, err)
	}
	if !info.IsDir() {
		return copyFile(src, filepath.Join(dst, filepath.Base(src)))
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != src {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // upload-artifact@v4 leaves hidden files out
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		return copyFile(p, filepath.Join(dst, rel))
	})
}

func (r *runner) download(sc *stepContext, dir string, st workflowStep) error {
	pattern, err := sc.subst(with(st, "pattern"))
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(filepath.Join(r.dir, "artifacts"))
	if err != nil {
		return err
	}
	n := 0
	for _, e := range ents {
		if ok, _ := path.Match(pattern, e.Name()); !ok {
			continue
		}
		n++
		src := filepath.Join(r.dir, "artifacts", e.Name())
		dst := filepath.Join(dir, with(st, "path"), e.Name()) // several artifacts: one folder each
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			return copyFile(p, filepath.Join(dst, rel))
		})
		if err != nil {
			return err
		}
	}
	if n == 0 {
		return fmt.Errorf("no artifact matches %s", pattern)
	}
	return nil
}

func copyFile(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, info.Mode().Perm())
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// matrixEntries expands a job's strategy.matrix: ${{ fromJSON(...) }}.
func (r *runner) matrixEntries(job *workflowJob) ([]map[string]string, error) {
	expr, ok := job.Strategy.Matrix.(string)
	if !ok {
		return nil, fmt.Errorf("strategy.matrix is not a ${{ fromJSON(...) }} expression")
	}
	m := regexp.MustCompile(`^\$\{\{\s*fromJSON\((.+)\)\s*\}\}$`).FindStringSubmatch(strings.TrimSpace(expr))
	if m == nil {
		return nil, fmt.Errorf("strategy.matrix %q: the test reads only ${{ fromJSON(...) }}", expr)
	}
	sc := &stepContext{r: r}
	text, err := sc.eval(m[1])
	if err != nil {
		return nil, err
	}
	var plan struct {
		Include []map[string]string `json:"include"`
	}
	if err := json.Unmarshal([]byte(text), &plan); err != nil {
		return nil, fmt.Errorf("strategy.matrix: %q: %w", text, err)
	}
	return plan.Include, nil
}

// The workflow, run locally, twice: plan, the four platform shards (the
// repository variable FROMSCRATCH_PLATFORMS names CI's four) two at a
// time in separate copies, each with its own empty action cache and all
// sharing one registry cache (a real docker-registry), merge, and the push
// of a tag to the same registry. The merged out/ equals a single build:all
// of the same recipes byte for byte (the smoke runs' durations aside: they
// are measured, not built); the pushed indexes pull and run on all four
// platforms; the second run, with empty local caches again, compiles
// nothing (all restored from the registry), merges to the same bytes and
// pushes nothing. Bad shards at merge are refused with out/ left as it was.
func TestWorkflowRunsLocally(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the matrix of two recipes three times")
	}
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "matrix.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowFile
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("parsing matrix.yml: %v", err)
	}
	for name, needs := range map[string]string{"plan": "", "shard": "plan", "repro": "plan", "merge": "shard,repro"} {
		if wf.Jobs[name] == nil {
			t.Fatalf("matrix.yml has no job %q", name)
		}
		if got := strings.Join(wf.Jobs[name].needs(), ","); got != needs {
			t.Fatalf("job %s needs %q, the test runs it after %q", name, got, needs)
		}
	}
	if len(wf.Jobs) != 4 {
		t.Fatalf("matrix.yml has %d jobs; the test runs plan, shard, repro and merge", len(wf.Jobs))
	}
	if _, err := exec.LookPath("bash"); err != nil {
		testutil.Missing(t, "no bash: %v", err)
	}
	sha, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		testutil.Missing(t, "not a git checkout: %v", err)
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		testutil.Missing(t, "no Docker engine to pull and run the pushed images: %v: %s", err, out)
	}
	shared := os.Getenv("FROMSCRATCH_CACHE")
	if shared == "" {
		shared = "/var/cache/fromscratch"
	}
	if shared, err = filepath.Abs(shared); err != nil {
		t.Fatal(err)
	}
	reg := testutil.StartRegistry(t)
	cacheProxy := startCountingProxy(t, reg.Host)
	pushProxy := startCountingProxy(t, reg.Host)
	work := t.TempDir()
	// CI's four platforms, as a repository variable: the plan, the single
	// build and the merge read it; without it they would cover all nine.
	var ciPlatforms []string
	for _, p := range recipe.CIPlatforms {
		ciPlatforms = append(ciPlatforms, string(p))
	}
	newRunner := func(name string) *runner {
		return &runner{
			t: t, repo: root, dir: filepath.Join(work, name), wf: &wf, sharedCache: shared,
			github: map[string]string{
				"sha": strings.TrimSpace(string(sha)), "ref": "refs/tags/v0.0.0", "repository": "fromscratch/fromscratch",
				"repository_owner": "fromscratch", "base_ref": "", "event.repository.default_branch": "main",
				"token": "emulated-token", "actor": "local",
			},
			vars: map[string]string{
				"FROMSCRATCH_PLATFORMS":    strings.Join(ciPlatforms, ","),
				"FROMSCRATCH_REMOTE_CACHE": cacheProxy.host + "/fromscratch-cache",
				"RELEASE_REPOSITORY":       pushProxy.host + "/fromscratch",
			},
			// Without zig: sharding, the registry cache, merge and
			// push do not depend on the toolchain, and zig's libc for
			// linux/arm/v7 and linux/riscv64 at multifile's -O2 is
			// built by no other test (minutes each on a fresh machine).
			overrides:  []string{"FROMSCRATCH_RECIPES=hello,multifile", "FROMSCRATCH_TOOLCHAINS=gcc,musl-gcc"},
			jobOutputs: map[string]map[string]string{}, jobDirs: map[string][]string{}, stepSummary: map[string]string{},
		}
	}

	// The single build, in a fresh copy with the same environment and its
	// own empty action cache, no registry cache: what the merge must
	// equal. It also stands in for the base branch's matrix.
	single := newRunner("single")
	singleJob := &workflowJob{Steps: []workflowStep{{Uses: "actions/checkout@v4"}, {Name: "single build:all", Run: "go tool mage setup build:all"}}}
	start := time.Now()
	if err := single.runJob("single", singleJob, nil); err != nil {
		t.Fatal(err)
	}
	singleWall := time.Since(start)
	singleBuilds := buildCounts(t, single, "single")
	baseline := filepath.Join(single.dir, "jobs", "single", "out", "matrix.json")
	want := filepath.Join(single.dir, "jobs", "single", "out")

	first := runWorkflow(t, newRunner("run1"), baseline, true)
	first.push = pushProxy.take()
	first.cache = cacheProxy.take()
	compareOutputs(t, want, first.out)
	if first.compiled == 0 {
		t.Errorf("the first run compiled nothing: its caches were not empty")
	}
	if t.Failed() {
		t.FailNow()
	}
	checkPushed(t, first.out, first.pushLog, pushProxy.host+"/fromscratch", reg.Host+"/fromscratch")
	mergeFaults(t, first)

	second := runWorkflow(t, newRunner("run2"), baseline, false)
	second.push = pushProxy.take()
	second.cache = cacheProxy.take()
	compareOutputs(t, want, second.out)
	if second.compiled != 0 {
		t.Errorf("the second run compiled %d binaries, want 0: everything is in the registry cache", second.compiled)
	}
	if second.push.sent != 0 {
		t.Errorf("the second push sent %d bytes, want 0: the registry has every blob and manifest", second.push.sent)
	}

	t.Logf("wall time: single build:all (empty action cache) %s (%d compiled); the 4 shards, 2 at a time, first run %s (%d compiled, %d restored), second run %s (%d compiled, %d restored); whole workflow (plan, shards, merge, push) %s and %s",
		singleWall.Round(100*time.Millisecond), singleBuilds.compiled,
		first.shardWall.Round(100*time.Millisecond), first.compiled, first.restored,
		second.shardWall.Round(100*time.Millisecond), second.compiled, second.restored,
		first.wall.Round(100*time.Millisecond), second.wall.Round(100*time.Millisecond))
	t.Logf("4 shards, 2 at a time on this machine / single build: first run %.2f, second run %.2f; the longest shard (the shards' wall time on 4 runners) / single build: first run %.2f (%s), second run %.2f (%s)",
		first.shardWall.Seconds()/singleWall.Seconds(), second.shardWall.Seconds()/singleWall.Seconds(),
		first.longestShard.Seconds()/singleWall.Seconds(), first.longestShard.Round(100*time.Millisecond),
		second.longestShard.Seconds()/singleWall.Seconds(), second.longestShard.Round(100*time.Millisecond))
	t.Logf("second run's cache hit rate: %d of %d binaries restored from the registry cache (%.0f %%)",
		second.restored, second.restored+second.compiled, 100*float64(second.restored)/float64(max(1, second.restored+second.compiled)))
	t.Logf("registry cache traffic: first run sent %d bytes, received %d; second run sent %d, received %d",
		first.cache.sent, first.cache.received, second.cache.sent, second.cache.received)
	t.Logf("release:push sent %d bytes on the first run, %d on the second", first.push.sent, second.push.sent)
}

// workflowRun is what one run of the workflow did.
type workflowRun struct {
	r               *runner
	out             string // the merge job's out/
	shards          []string
	wall, shardWall time.Duration
	longestShard    time.Duration // the shards' wall time on 4 runners at once
	compiled        int
	restored        int
	pushLog         string
	push, cache     traffic
}

// runWorkflow runs plan, the shards two at a time, the repro jobs (when
// repro is set: they rebuild without any cache, so once is enough) and
// merge. The repro jobs are the suite's check that two builds in two
// directories under different paths, umask, time zone, locale, job counts
// and file order give the same bytes (verify:repro), on every cell of
// hello and multifile.
func runWorkflow(t *testing.T, r *runner, baseline string, repro bool) workflowRun {
	t.Helper()
	r.baseline = baseline
	wf := r.wf
	start := time.Now()
	if err := r.runJob("plan", wf.Jobs["plan"], nil); err != nil {
		t.Fatal(err)
	}
	entries, err := r.matrixEntries(wf.Jobs["shard"])
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(recipe.CIPlatforms) {
		t.Fatalf("the plan has %d shards, want one per platform of FROMSCRATCH_PLATFORMS (%d): %v", len(entries), len(recipe.CIPlatforms), entries)
	}
	shardStart := time.Now()
	sem := make(chan struct{}, 2) // two cores
	errs := make(chan error, len(entries))
	var mu sync.Mutex
	var longest time.Duration
	for _, m := range entries {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			errs <- r.runJob("shard", wf.Jobs["shard"], m)
			mu.Lock()
			longest = max(longest, time.Since(start))
			mu.Unlock()
		}()
	}
	for range entries {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	run := workflowRun{r: r, shardWall: time.Since(shardStart), longestShard: longest}
	if repro {
		for _, m := range entries {
			go func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				errs <- r.runJob("repro", wf.Jobs["repro"], m)
			}()
		}
		for range entries {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		for _, m := range entries {
			checkRepro(t, r, "repro-"+m["name"])
		}
	}
	for _, m := range entries {
		id := "shard-" + m["name"]
		c := buildCounts(t, r, id)
		run.compiled += c.compiled
		run.restored += c.restored
		run.shards = append(run.shards, filepath.Join(r.dir, "artifacts", "out-"+m["name"]))
		t.Logf("%s %s: %d compiled, %d restored from the cache", filepath.Base(r.dir), id, c.compiled, c.restored)
	}
	if err := r.runJob("merge", wf.Jobs["merge"], nil); err != nil {
		t.Fatal(err)
	}
	run.wall = time.Since(start)
	run.out = filepath.Join(r.dir, "jobs", "merge", "out")
	run.pushLog = stepLog(t, r, "merge", "Push the images")
	summary := r.stepSummary["merge"]
	for _, s := range []string{"hello", "size gate passed"} {
		if !strings.Contains(summary, s) {
			t.Errorf("the merge job's step summary lacks %q:\n%.3000s", s, summary)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "artifacts", "matrix", "matrix.json")); err != nil {
		t.Errorf("the merge job uploaded no matrix artifact for later size gates: %v", err)
	}
	return run
}

// checkRepro fails unless the repro job id compared at least one cell and
// found every cell identical.
func checkRepro(t *testing.T, r *runner, id string) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(r.dir, "meta", id, "log-*.txt"))
	identical := 0
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 4 && f[3] == "identical": // CELL (recipe platform variant) VERDICT
				identical++
			case len(f) >= 4 && f[3] == "DIFFERENT":
				t.Errorf("%s: %s", id, line)
			}
		}
	}
	if identical == 0 {
		t.Errorf("job %s compared no cell (logs: %v)", id, logs)
	}
	t.Logf("%s: %d cells identical", id, identical)
}

type builds struct{ compiled, restored int }

var binariesRe = regexp.MustCompile(`(?m)^binaries: (\d+) compiled, (\d+) restored from the cache`)

// buildCounts reads the summary line "binaries: N compiled, M restored
// from the cache" of job id's build:all.
func buildCounts(t *testing.T, r *runner, id string) builds {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(r.dir, "meta", id, "log-*.txt"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		if m := binariesRe.FindSubmatch(data); m != nil {
			var b builds
			fmt.Sscan(string(m[1]), &b.compiled)
			fmt.Sscan(string(m[2]), &b.restored)
			return b
		}
	}
	t.Fatalf("job %s printed no line %q", id, "binaries: N compiled, M restored from the cache")
	return builds{}
}

// stepLog is the output of job id's step named name.
func stepLog(t *testing.T, r *runner, id, name string) string {
	t.Helper()
	job := r.wf.Jobs[id]
	for i, st := range job.Steps {
		if st.Name == name {
			data, err := os.ReadFile(filepath.Join(r.dir, "meta", id, fmt.Sprintf("log-%d.txt", i)))
			if err != nil {
				t.Fatalf("step %q of job %s did not run: %v", name, id, err)
			}
			return string(data)
		}
	}
	t.Fatalf("job %s has no step %q", id, name)
	return ""
}

// checkPushed checks that the push printed every index of the merged
// layouts with its digest, then pulls hello's indexes by digest from the
// registry and runs them on every platform they hold.
func checkPushed(t *testing.T, out, log, pushedAs, pullFrom string) {
	t.Helper()
	recipes, err := outdir.Path(out).Layouts()
	if err != nil || len(recipes) == 0 {
		t.Fatalf("no layouts in the merged out/: %v", err)
	}
	for _, name := range recipes {
		entries, err := image.ReadLayout(filepath.Join(out, "oci", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			d, err := e.Index.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if line := pushedAs + "/" + name + ":" + e.Name + "@" + d.String(); !strings.Contains(log, line+"\n") {
				t.Errorf("the push step did not print %s:\n%s", line, log)
			}
			if name != "hello" {
				continue
			}
			ref := pullFrom + "/" + name + "@" + d.String()
			for _, p := range e.Platforms {
				t.Run("pull and run "+name+":"+e.Name+" "+p, func(t *testing.T) {
					pullAndRun(t, ref, p, "Hello My Container! \n")
				})
			}
		}
	}
}

// pullAndRun docker-pulls ref (an index by digest) for platform p, checks
// the architecture of what came, runs it and compares its output.
func pullAndRun(t *testing.T, ref, p, want string) {
	t.Helper()
	docker := func(args ...string) string {
		out, err := exec.CommandContext(t.Context(), "docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
	docker("pull", "-q", "--platform", p, ref)
	osArch := p // docker 20.10's image inspect has no variant
	if f := strings.Split(p, "/"); len(f) == 3 {
		osArch = f[0] + "/" + f[1]
	}
	if got := strings.TrimSpace(docker("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", ref)); got != osArch {
		t.Errorf("docker pull --platform %s of %s gave a %s image", p, ref, got)
	}
	if got := docker("run", "--rm", "--network", "none", "--platform", p, ref); got != want {
		t.Errorf("docker run --platform %s %s printed %q, want %q", p, ref, got, want)
	}
}

// mergeFaults merges a run's real shard outputs wrongly, in process: a
// shard missing, one given twice, a shard of another commit and one that
// lost files. Each is refused with an error naming it, and the merged
// out/ is left byte for byte as it was.
func mergeFaults(t *testing.T, run workflowRun) {
	t.Helper()
	shards := run.shards
	sort.Strings(shards)
	// A shard's folder is out-<its name>: the platform, then the
	// toolchains when the run names them (out-linux-arm64-gcc+musl-gcc).
	shardOf := func(platformDir string) string {
		for _, s := range shards {
			if b := filepath.Base(s); b == "out-"+platformDir || strings.HasPrefix(b, "out-"+platformDir+"-") {
				return s
			}
		}
		t.Fatalf("no shard of %s among %v", platformDir, shards)
		return ""
	}
	arm, riscv := shardOf("linux-arm64"), shardOf("linux-riscv64")
	armName := strings.TrimPrefix(filepath.Base(arm), "out-")
	dir := t.TempDir()
	otherCommit := filepath.Join(dir, "out-linux-arm64-other")
	lost := filepath.Join(dir, "out-linux-arm64-lost")
	for _, d := range []string{otherCommit, lost} {
		if err := os.CopyFS(d, os.DirFS(arm)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := shard.Read(otherCommit)
	if err != nil {
		t.Fatal(err)
	}
	m.Commit = strings.Repeat("0", 40)
	if err := m.Write(otherCommit); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(lost, "oci", "hello", "index.json")); err != nil {
		t.Fatal(err)
	}
	without := func(shard string, add ...string) []string {
		var out []string
		for _, s := range shards {
			if s != shard {
				out = append(out, s)
			}
		}
		return append(out, add...)
	}
	root := filepath.Join(run.r.dir, "jobs", "merge") // the checkout the merge ran in
	for _, tc := range []struct {
		name    string
		dirs    []string
		wantErr []string
	}{
		{"a shard missing", without(riscv), []string{"cell(s) unaccounted for", "linux/riscv64", "FROMSCRATCH_PARTIAL=1"}},
		{"a shard directory missing", without(riscv, filepath.Join(dir, "out-linux-riscv64")), []string{"out-linux-riscv64: no such directory"}},
		{"a shard given twice", append(slices.Clone(shards), arm), []string{"shard " + armName + " is given twice"}},
		{"a shard of another commit", without(arm, otherCommit), []string{"commit", armName + " (" + otherCommit + ")", "merge shards of one build"}},
		{"a shard that lost a layout", without(arm, lost), []string{"merging cell hello", lost, "is unchanged"}},
	} {
		t.Run("merge: "+tc.name, func(t *testing.T) {
			before := testutil.ReadTree(t, run.out)
			// The merge job's settings: the repository variable
			// FROMSCRATCH_PLATFORMS (the workflow's env) and the run's
			// overrides (the recipes and toolchains its shards built)
			// last, as there.
			env := append([]string{"FROMSCRATCH_OUT=" + run.out, "FROMSCRATCH_CACHE=" + filepath.Join(run.r.dir, "caches", "merge"),
				"FROMSCRATCH_PLATFORMS=" + run.r.vars["FROMSCRATCH_PLATFORMS"]}, run.r.overrides...)
			c, _, _ := testCLI(t, root, env...)
			err := c.Run(t.Context(), append([]string{"matrix:merge"}, tc.dirs...))
			if err == nil {
				t.Fatal("the merge succeeded")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q:\n%v", s, err)
				}
			}
			after := testutil.ReadTree(t, run.out)
			delete(before, outdir.LockFile)
			delete(after, outdir.LockFile)
			if len(before) != len(after) {
				t.Errorf("the failed merge changed out/: %d files before, %d after", len(before), len(after))
			}
			for name, data := range before {
				if !bytes.Equal(after[name], data) {
					t.Errorf("the failed merge changed out/%s", name)
				}
			}
		})
	}
}

// traffic is what went through a countingProxy.
type traffic struct{ sent, received int64 }

// countingProxy forwards to a registry and counts the bytes of request
// bodies (what clients send: blobs and manifests pushed) and of response
// bodies (what they receive).
type countingProxy struct {
	host string
	mu   sync.Mutex
	n    traffic
}

func startCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	rp.ModifyResponse = func(resp *http.Response) error {
		resp.Body = &countingReader{ReadCloser: resp.Body, add: func(n int) { p.add(0, n) }}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// The registry builds upload Locations from Host: keep the proxy's.
		req.Body = &countingReader{ReadCloser: req.Body, add: func(n int) { p.add(n, 0) }}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

func (p *countingProxy) add(sent, received int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n.sent += int64(sent)
	p.n.received += int64(received)
}

// take returns the traffic so far and starts counting anew.
func (p *countingProxy) take() traffic {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.n
	p.n = traffic{}
	return n
}

type countingReader struct {
	io.ReadCloser
	add func(int)
}

func (r *countingReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.add(n)
	return n, err
}

// compareOutputs checks that got (merged) has the bytes of want (one
// build): every file of oci/ and docker/, matrix.md, matrix.svg and
// shard.json; matrix.json and matrix.csv with the smoke durations set to 0.
func compareOutputs(t *testing.T, want, got string) {
	t.Helper()
	for _, sub := range []string{"oci", "docker"} {
		w := testutil.ReadTree(t, filepath.Join(want, sub))
		g := testutil.ReadTree(t, filepath.Join(got, sub))
		if len(w) == 0 {
			t.Fatalf("the single build wrote nothing in %s", sub)
		}
		for name, data := range w {
			if gd, ok := g[name]; !ok {
				t.Errorf("%s/%s: missing from the merge", sub, name)
			} else if !bytes.Equal(gd, data) {
				t.Errorf("%s/%s: differs between the merge and a single build", sub, name)
			}
		}
		for name := range g {
			if _, ok := w[name]; !ok {
				t.Errorf("%s/%s: only in the merge", sub, name)
			}
		}
		t.Logf("%s/: %d files identical", sub, len(w))
	}
	for _, name := range []string{"matrix.md", "matrix.svg", "shard.json"} {
		w, err1 := os.ReadFile(filepath.Join(want, name))
		g, err2 := os.ReadFile(filepath.Join(got, name))
		if err1 != nil || err2 != nil || !bytes.Equal(w, g) {
			t.Errorf("%s differs between the merge and a single build (%v, %v)", name, err1, err2)
		}
	}
	norm := func(dir string) *matrix.Matrix {
		m, err := matrix.Load(filepath.Join(dir, "matrix.json"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.Rows {
			m.Rows[i].Smoke.DurationMS = 0
		}
		return m
	}
	wm, gm := norm(want), norm(got)
	for _, render := range []struct {
		name string
		fn   func(*bytes.Buffer, *matrix.Matrix) error
	}{
		{"matrix.json", func(b *bytes.Buffer, m *matrix.Matrix) error { return matrix.JSON(b, m) }},
		{"matrix.csv", func(b *bytes.Buffer, m *matrix.Matrix) error { return matrix.CSV(b, m) }},
	} {
		var wb, gb bytes.Buffer
		if err := render.fn(&wb, wm); err != nil {
			t.Fatal(err)
		}
		if err := render.fn(&gb, gm); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wb.Bytes(), gb.Bytes()) {
			t.Errorf("%s (smoke durations set to 0) differs between the merge and a single build:\n%s\n---\n%s", render.name, wb.String(), gb.String())
		}
	}
	built := 0
	for _, r := range wm.Rows {
		if r.Status == matrix.StatusBuilt {
			built++
		}
	}
	t.Logf("matrix: %d rows, %d built, identical but for the smoke durations", len(wm.Rows), built)
}
