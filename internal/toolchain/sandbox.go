package toolchain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/spell"
)

// Sandbox runs build steps in bubblewrap: the build root's entries at /,
// read-only; the step's own places writable at their host paths; its
// inputs read-only at their host paths; a private /tmp; no network; new
// user, PID, IPC, UTS, network and cgroup namespaces; a fixed hostname,
// user and environment. Wrap turns any Runner into a sandboxed one.
type Sandbox struct {
	Bwrap    string   // the bwrap executable (FindBwrap)
	Root     string   // the build root: a directory tree with usr/, etc/ and the merged-/usr symlinks
	Writable []string // absolute host paths bound read-write at the same path: source tree, build directory, stage
	ReadOnly []string // absolute host paths bound read-only at the same path: dependency stages, source store, zig, recipe folder
	Hostname string   // "" is DefaultHostname
}

// DefaultHostname is the sandbox's hostname when Sandbox.Hostname is empty.
const DefaultHostname = "fromscratch"

// BuildUID and BuildGID are the user and group every sandboxed step runs
// as, whoever runs the build on the host (root or not): a configure script
// that asks "am I root?" gets one answer on every host, and the step never
// holds root's privileges. The invoking host user maps to them, so files
// the step writes belong to that user on the host.
const (
	BuildUID = 1000
	BuildGID = 1000
)

// special top-level names are not taken from the build root: /dev and
// /proc are fresh, /tmp a private tmpfs, /run an empty directory (so no
// host socket, such as Docker's, is reachable even when the root is the
// host's own /).
var special = map[string]bool{"dev": true, "proc": true, "tmp": true, "run": true}

// FindBwrap finds the bwrap executable in dirs, or says how to install it.
func FindBwrap(dirs []string) (string, error) {
	p, err := LookPath("bwrap", dirs)
	if err != nil {
		return "", fmt.Errorf("finding bubblewrap: %w (as root: apt-get install bubblewrap, or %s)", err, spell.Command("setup"))
	}
	return p, nil
}

// Wrap returns a Runner that runs each command through run inside the
// sandbox, with exactly the environment it is given plus PWD (bwrap sets
// it to the directory it starts the step in, as a shell would). A step that fails
// after writing outside its places or reaching for the network fails with
// an *EscapeError; a sandbox that cannot be set up fails with an error
// that says so.
func (s Sandbox) Wrap(run Runner) Runner {
	return func(ctx context.Context, c Command, env []string) ([]byte, error) {
		if err := s.check(); err != nil {
			return nil, err
		}
		args, err := s.Argv(os.DirFS(s.Root), c, env)
		if err != nil {
			return nil, err
		}
		// bwrap gets no environment: --clearenv and --setenv give the step
		// exactly env (a setuid bwrap would lose TMPDIR and LD_* from its own).
		out, err := run(ctx, Command{Args: args, Phase: c.Phase}, []string{})
		if err == nil {
			return out, nil
		}
		if msg, ok := strings.CutPrefix(string(out), "bwrap: "); ok {
			return out, setupError(c, err, strings.TrimSpace(msg))
		}
		if e := findEscape(out); e != nil {
			e.Step, e.Err = c.String(), err
			return out, e
		}
		return out, err
	}
}

// setupError is bwrap's own failure: the program not found inside, or a
// sandbox it could not make.
func setupError(c Command, err error, msg string) error {
	name := filepath.Base(c.Args[0])
	if strings.HasPrefix(msg, "execvp ") {
		return fmt.Errorf("starting %s in the sandbox: %w: %s (it must be in the build root or a place, on the step's PATH)", name, err, msg)
	}
	if strings.Contains(msg, "No permissions to create a new namespace") || strings.Contains(msg, "setting up uid map: Permission denied") {
		first, _, _ := strings.Cut(msg, "\n")
		return fmt.Errorf("setting up the sandbox for %s: %s", name, NoUserNamespace(first))
	}
	return fmt.Errorf("setting up the sandbox for %s: %w: %s", name, err, msg)
}

// NoUserNamespace is what to do when the kernel refuses this process the
// user namespace every sandbox is made in (bwrap said why). It names no
// uid: it becomes a cell's reason in the matrix.
func NoUserNamespace(why string) string {
	return fmt.Sprintf("the kernel refuses this user a user namespace (bwrap: %s); builds in the build root need one: "+
		"allow unprivileged user namespaces (sysctl user.max_user_namespaces above 0, kernel.unprivileged_userns_clone=1 on kernels that have it, "+
		"and where AppArmor restricts them, kernel.apparmor_restrict_unprivileged_userns=1, a profile that lets bwrap), "+
		"or in a Docker container run with --security-opt seccomp=unconfined --security-opt systempaths=unconfined", why)
}

// check reports a root or a place that is missing or not absolute: the
// caller creates them before the step.
func (s Sandbox) check() error {
	if s.Bwrap == "" {
		return errors.New("sandbox: no bwrap executable given (Sandbox.Bwrap; see FindBwrap)")
	}
	if fi, err := os.Stat(s.Root); err != nil || !fi.IsDir() {
		return fmt.Errorf("sandbox: the build root %q is not a directory", s.Root)
	}
	for _, p := range slices.Concat(s.Writable, s.ReadOnly) {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("sandbox: place %s: %w (create it before the step)", p, err)
		}
	}
	return nil
}

// Argv is the bwrap command line that runs c with env in the sandbox,
// where root is the build root's tree (os.DirFS(s.Root)). It reads only
// the root's directories, never the places.
func (s Sandbox) Argv(root fs.FS, c Command, env []string) ([]string, error) {
	if len(c.Args) == 0 {
		return nil, errors.New("sandbox: an empty command")
	}
	host := s.Hostname
	if host == "" {
		host = DefaultHostname
	}
	a := []string{s.Bwrap,
		"--unshare-all", "--unshare-user", // --unshare-all only tries the user namespace; --uid needs it
		"--uid", strconv.Itoa(BuildUID), "--gid", strconv.Itoa(BuildGID),
		"--hostname", host, "--die-with-parent", "--new-session", "--clearenv"}
	for _, e := range env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("sandbox: environment entry %q is not NAME=value", e)
		}
		a = append(a, "--setenv", k, v)
	}
	mounts, err := s.mounts(root)
	if err != nil {
		return nil, err
	}
	a = append(a, mounts...)
	// Last, so that the mount points made above exist: / becomes read-only
	// and a write anywhere but the places fails with EROFS instead of
	// landing unseen in bwrap's tmpfs.
	a = append(a, "--remount-ro", "/")
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	a = append(a, "--chdir", dir, "--")
	return append(a, c.Args...), nil
}

// place is one host path bound at the same path in the sandbox.
type place struct {
	path string
	op   string // --bind or --ro-bind
}

// places are the Writable and ReadOnly paths, cleaned, parents before
// children (a stage inside a writable tree is bound after the tree).
func (s Sandbox) places() ([]place, error) {
	var ps []place
	for _, l := range []struct {
		paths []string
		op    string
	}{{s.Writable, "--bind"}, {s.ReadOnly, "--ro-bind"}} {
		for _, p := range l.paths {
			if !filepath.IsAbs(p) {
				return nil, fmt.Errorf("sandbox: place %q is not an absolute path", p)
			}
			p = filepath.Clean(p)
			if top := strings.Split(p, "/")[1]; top == "dev" || top == "proc" || p == "/" {
				return nil, fmt.Errorf("sandbox: place %s: / , /dev and /proc cannot be bound", p)
			}
			ps = append(ps, place{p, l.op})
		}
	}
	slices.SortStableFunc(ps, func(a, b place) int {
		return strings.Count(a.path, "/") - strings.Count(b.path, "/")
	})
	return ps, nil
}

// mounts are the root's entries, the fresh /dev, /proc, /tmp and /run, and
// the places.
func (s Sandbox) mounts(root fs.FS) ([]string, error) {
	ps, err := s.places()
	if err != nil {
		return nil, err
	}
	spliced := map[string]bool{}
	for _, p := range ps {
		if err := splice(root, p.path, spliced); err != nil {
			return nil, err
		}
	}
	a, err := s.rootEntries(root, ".", spliced, nil)
	if err != nil {
		return nil, err
	}
	a = append(a, "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/run")
	for _, p := range ps {
		a = append(a, p.op, p.path, p.path)
	}
	return a, nil
}

// splice marks the root's directories that a place's mount point must be
// made in. A read-only bind cannot take a new directory, so such a
// directory is rebuilt instead: a directory on the sandbox's own / with
// each of its entries bound one by one. A place that exists in the root,
// or whose first missing component is at the top, needs none.
func splice(root fs.FS, p string, spliced map[string]bool) error {
	comps := strings.Split(p[1:], "/")
	if special[comps[0]] {
		return nil
	}
	for i := range comps {
		q := strings.Join(comps[:i+1], "/")
		fi, err := fs.Lstat(root, q)
		if errors.Is(err, fs.ErrNotExist) {
			for j := range i {
				spliced[strings.Join(comps[:j+1], "/")] = true
			}
			return nil
		}
		switch {
		case err != nil:
			return fmt.Errorf("sandbox: reading the build root: %w", err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("sandbox: place %s is under /%s, a symlink in the build root: bind it at a path without symlinks", p, q)
		case !fi.IsDir() && i < len(comps)-1:
			return fmt.Errorf("sandbox: place %s is under /%s, a file in the build root", p, q)
		}
	}
	return nil
}

// rootEntries binds the entries of the root's directory dir read-only,
// recreates its symlinks, and rebuilds the spliced directories.
func (s Sandbox) rootEntries(root fs.FS, dir string, spliced map[string]bool, a []string) ([]string, error) {
	entries, err := fs.ReadDir(root, dir)
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading the build root: %w", err)
	}
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		if dir == "." && special[name] {
			continue
		}
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(root, name)
			if err != nil {
				return nil, fmt.Errorf("sandbox: reading the build root: %w", err)
			}
			a = append(a, "--symlink", target, "/"+name)
		case e.IsDir() && spliced[name]:
			fi, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("sandbox: reading the build root: %w", err)
			}
			a = append(a, "--perms", fmt.Sprintf("%04o", fi.Mode().Perm()), "--dir", "/"+name)
			if a, err = s.rootEntries(root, name, spliced, a); err != nil {
				return nil, err
			}
		default:
			a = append(a, "--ro-bind", filepath.Join(s.Root, name), "/"+name)
		}
	}
	return a, nil
}
