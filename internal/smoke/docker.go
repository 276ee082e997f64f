package smoke

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Docker runs images with the docker CLI and a running engine. Its zero value is ready; it loads
// each archive once and remembers what it loaded for Cleanup.
//
// The engine's tags are one namespace for every client: two runs that load hello:gcc-static-amd64
// at once would run each other's image, and one's cleanup would remove the other's. So a run
// never runs by the archive's tag: it runs the image by its ID (the sha256 of its config, read
// from the archive itself), and holds the image with a tag of its own
// (fromscratch-smoke/<run>:<n>) until Cleanup, so another run's cleanup cannot remove it.
type Docker struct {
	// Env is the environment the docker CLI's settings are taken from:
	// PATH, HOME and DOCKER_HOST (KEY=VALUE entries, as os.Environ gives
	// them); nil means the system PATH and the default engine.
	Env []string

	mu     sync.Mutex
	run    string             // this Docker's random run name, set at the first load
	loaded map[string]*loaded // by archive identity
	order  []*loaded
}

// loaded is one archive this Docker loaded.
type loaded struct {
	id   string // the image ID: "sha256:" and the config's digest
	tag  string // the tag the archive gave it, "" for none
	hold string // this run's own tag of it
}

// Name is "docker".
func (d *Docker) Name() string { return "docker" }

// Run loads s.Archive if this Docker has not yet, then runs
// `docker run --rm --pull never --network none --init --ulimit core=0 --platform P TAG ARGS...`,
// with -i and s.Stdin on the CLI's stdin when the spec has a stdin (without -i the container's
// stdin is empty).
// --init puts tini in front of the program as PID 1, so that a program that signals itself
// (qemu-user does when a foreign program crashes) dies of it; core=0 spares writing the
// crashed program's and qemu's core dumps into the container. A container the engine could not
// start (exit 125-127 with docker's own message, or the program's exec refused) is an error
// carrying docker's stderr.
func (d *Docker) Run(ctx context.Context, s Spec, stdout, stderr io.Writer) (exit int, err error) {
	img, err := d.load(ctx, s)
	if err != nil {
		return -1, err
	}
	tag := img.tag // for messages; the run is by ID: another run may have moved the tag
	if tag == "" {
		tag = img.id
	}
	name := "fromscratch-smoke-" + randomID()
	args := []string{"run", "--rm", "--pull", "never", "--network", "none", "--init", "--ulimit", "core=0", "--name", name}
	if s.Platform != "" {
		args = append(args, "--platform", s.Platform)
	}
	if cpu := QEMUCPU(s.Platform); cpu != "" {
		args = append(args, "--env", "QEMU_CPU="+cpu) // qemu-user reads it: an ARMv6 CPU for arm/v6
	}
	if s.Stdin != nil {
		args = append(args, "--interactive")
	}
	args = append(append(args, img.id), s.Args...)
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = dockerEnv(d.Env)
	if s.Stdin != nil {
		cmd.Stdin = bytes.NewReader(s.Stdin)
	}
	out, errOut := newStream(Expect{}), newStream(Expect{})
	cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, out), io.MultiWriter(stderr, errOut)
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		// Killing the client leaves the container running: remove it.
		d.remove(name)
		return -1, fmt.Errorf("running %s: %w", tag, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return -1, fmt.Errorf("running docker run %s: %w", tag, runErr)
	}
	exit = cmd.ProcessState.ExitCode()
	if notStarted(exit, out.n, string(errOut.head)) {
		msg := strings.TrimSpace(strings.Replace(string(errOut.head), "Run 'docker run --help' for more information", "", 1))
		return exit, fmt.Errorf("docker run %s: the container did not start (exit %d): %s", tag, exit, msg)
	}
	return exit, nil
}

// execFailed is how a refused exec of the entrypoint is reported once the container started,
// e.g. for a dynamic binary without its loader: by tini, the init of both engines, as
// "[FATAL tini (7)] exec /hello failed: No such file or directory" (exit 127 for ENOENT, 126
// for EACCES, else 1), and without an init by runc as "exec /hello: no such file or directory"
// (Docker 20.10 with runc 1.1 then exits with 1).
var execFailed = regexp.MustCompile(`^(?:\[FATAL tini \(\d+\)\] exec \S* failed|exec /\S*): [^\n]+\n?$`)

// notStarted tells a container that never ran its program from a program that exited, from
// the exit code, how many bytes the program wrote to stdout and the start of its stderr.
func notStarted(exit int, stdoutBytes int64, stderr string) bool {
	if (exit == 125 || exit == 126 || exit == 127) && (strings.Contains(stderr, "docker: ") || strings.Contains(stderr, "Error response from daemon")) {
		return true
	}
	return exit != 0 && stdoutBytes == 0 && execFailed.MatchString(stderr)
}

// load runs `docker load -i` once per archive (path, size and modification time), holds the
// image with a tag of this run's, and returns what it loaded. s.Tag, when set, must be the tag
// the archive gives the image.
func (d *Docker) load(ctx context.Context, s Spec) (*loaded, error) {
	fi, err := os.Stat(s.Archive)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", s.Name, err)
	}
	abs, err := filepath.Abs(s.Archive)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", s.Name, err)
	}
	key := fmt.Sprintf("%s %d %d", abs, fi.Size(), fi.ModTime().UnixNano())
	d.mu.Lock()
	defer d.mu.Unlock()
	if l, ok := d.loaded[key]; ok && (s.Tag == "" || s.Tag == l.tag) {
		return l, nil
	}
	id, tags, err := ArchiveImage(abs)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", s.Archive, err)
	}
	if s.Tag != "" && !slices.Contains(tags, s.Tag) {
		return nil, fmt.Errorf("loading %s: it tags no image %s (it has %q)", s.Archive, s.Tag, tags)
	}
	if _, err := dockerOutput(ctx, d.Env, "load", "-i", abs); err != nil {
		return nil, fmt.Errorf("loading %s: %w", s.Archive, err)
	}
	if d.run == "" {
		d.run = randomID()
	}
	l := &loaded{id: id, hold: fmt.Sprintf("fromscratch-smoke/%s:%d", d.run, len(d.order)+1)}
	if len(tags) > 0 {
		l.tag = tags[0]
	}
	// Between the load and this tag another run may have moved the
	// archive's tag, never the ID: the image to hold is the ID's.
	if _, err := dockerOutput(ctx, d.Env, "tag", id, l.hold); err != nil {
		return nil, fmt.Errorf("loading %s: %w", s.Archive, err)
	}
	if d.loaded == nil {
		d.loaded = map[string]*loaded{}
	}
	d.loaded[key] = l
	d.order = append(d.order, l)
	return l, nil
}

// ArchiveImage reads a docker archive (docker save's format, as image:load
// and smoke runs load): the ID the engine gives its image (the sha256 of
// its config) and the tags it gives it.
func ArchiveImage(path string) (id string, tags []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	var manifest []struct {
		Config   string
		RepoTags []string
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("reading the archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return "", nil, fmt.Errorf("reading the archive's manifest.json: %w", err)
			}
			continue
		}
		if !strings.HasSuffix(h.Name, ".json") && !strings.HasPrefix(h.Name, "sha256:") {
			continue // a layer: never a config
		}
		sum := sha256.New()
		if _, err := io.Copy(sum, tr); err != nil {
			return "", nil, fmt.Errorf("reading the archive: %w", err)
		}
		sums[h.Name] = "sha256:" + hex.EncodeToString(sum.Sum(nil))
	}
	if len(manifest) != 1 {
		return "", nil, fmt.Errorf("the archive holds %d images, want 1", len(manifest))
	}
	id, ok := sums[manifest[0].Config]
	if !ok {
		return "", nil, fmt.Errorf("the archive has no config %s", manifest[0].Config)
	}
	return id, manifest[0].RepoTags, nil
}

// Cleanup removes what this Docker loaded: the archive's tag when it
// still names the image this run loaded (another run may have moved it to
// its own), and this run's own tag; the engine deletes an image when its
// last tag goes. A run of another process holding the same image keeps it
// by its own tag.
func (d *Docker) Cleanup(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for _, l := range d.order {
		if l.tag != "" {
			if id, err := dockerOutput(ctx, d.Env, "image", "inspect", "--format", "{{.Id}}", l.tag); err == nil && strings.TrimSpace(id) == l.id {
				if _, err := dockerOutput(ctx, d.Env, "rmi", l.tag); err != nil {
					errs = append(errs, fmt.Errorf("removing image %s: %w", l.tag, err))
				}
			}
		}
		if _, err := dockerOutput(ctx, d.Env, "rmi", l.hold); err != nil {
			errs = append(errs, fmt.Errorf("removing image %s: %w", l.hold, err))
		}
	}
	d.order, d.loaded = nil, nil
	return errors.Join(errs...)
}

// remove force-removes a container left behind by a cancelled run.
func (d *Docker) remove(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dockerOutput(ctx, d.Env, "rm", "--force", name) // the container may already be gone
}

// dockerOutput runs the docker CLI and returns its stdout; a failure carries its output.
func dockerOutput(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = dockerEnv(env)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()+out.String()))
	}
	return out.String(), nil
}

// dockerEnv is the docker CLI's whole environment, taken from from: PATH
// (else the system's), HOME and DOCKER_HOST if set.
func dockerEnv(from []string) []string {
	vars := map[string]string{}
	for _, kv := range from {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	path := vars["PATH"]
	if path == "" {
		path = daemonPath()
	}
	env := []string{"PATH=" + path}
	for _, k := range []string{"HOME", "DOCKER_HOST"} {
		if v, ok := vars[k]; ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// randomID is 12 random hex digits for container names.
func randomID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Detect picks an engine: docker when `docker info` answers, else runc when it is installed
// and a static init is found (FindInit), rootless when the caller is not root and the kernel
// gives it a user namespace (RootlessProblem). With neither it returns nil and the reason, which
// names both. env is where the docker CLI's settings come from (see Docker.Env).
func Detect(ctx context.Context, env []string) (Engine, string) {
	dockerErr := dockerInfo(ctx, env)
	if dockerErr == nil {
		return &Docker{Env: env}, ""
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return nil, fmt.Sprintf("%v; runc is not installed (apt-get install runc)", dockerErr)
	}
	if why := RootlessProblem(ctx); why != "" {
		return nil, fmt.Sprintf("%v; %s", dockerErr, why)
	}
	init, err := FindInit()
	if err != nil {
		return nil, fmt.Sprintf("%v; runc needs %v", dockerErr, err)
	}
	return &Runc{Init: init}, ""
}

// dockerInfo reports whether a docker engine answers, within 20 s.
func dockerInfo(ctx context.Context, env []string) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return errors.New("the docker CLI is not installed (apt-get install docker.io)")
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := dockerOutput(ctx, env, "info", "--format", "{{.ServerVersion}}"); err != nil {
		return fmt.Errorf("no docker engine answers: %w", err)
	}
	return nil
}
