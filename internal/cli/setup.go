package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/spell"
	"github.com/fromscratch/fromscratch/internal/toolchain"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// HostPackages are all the main job needs on the host besides Go: the
// sandbox every build step runs in (bubblewrap), and what runs the images
// (a Docker engine, runc, qemu's binfmt handlers). The compilers and build
// tools are the build root's, pinned by toolchains/buildroot.lock.json.
var HostPackages = []string{"bubblewrap", "docker.io", "qemu-user-static", "runc"}

// TestPackages are what the tests need besides: the host's own compilers
// and build tools (the tests that build the host way, bench's
// side-by-side measurement), binutils, curl (the distribution program the
// tests pack with image:wrap), docker-registry (the registry of the push
// and remote-cache tests), umoci and skopeo (they read the OCI layouts and
// registries in the tests, as users downstream do), mmdebstrap (it
// assembles the Debian 13 root that the other-host test, internal/otherhost,
// imports into Docker and builds the release in), and HostDevPackages.
var TestPackages = append([]string{"binutils", "curl", "docker-registry", "mmdebstrap", "skopeo", "umoci"}, HostDevPackages...)

// HostDevPackages are -dev packages that real recipes would pick up if the
// host leaked into their builds (jq's configure finds oniguruma, pigz and
// zlib's users link zlib, curses programs find ncurses). The tests install
// them so that TestHermeticHostIndependence (internal/pipeline) shows they
// change no byte of a hermetic build.
var HostDevPackages = []string{"libonig-dev", "zlib1g-dev", "libncurses-dev"}

// Setup provisions what the matrix needs, idempotently: missing Debian
// packages (as root with apt-get), the npm-provisioned toolchains into the
// cache (downloaded in Go: the host needs no npm), the build root, the binfmt handlers for foreign platforms and a
// Docker engine. Without root it says what is missing and carries on:
// build:all then builds what it can.
func (c *CLI) Setup(ctx context.Context) error { return c.setup(ctx, false) }

// SetupTests is Setup plus what the tests need (TestPackages and the
// host's compilers).
func (c *CLI) SetupTests(ctx context.Context) error { return c.setup(ctx, true) }

// setupPackages are the Debian packages setup installs: the host's, and
// the host's compilers and build systems only for the tests or for builds
// without the build root.
func setupPackages(cfg Config, defs []*toolchain.Definition, forTests bool) []string {
	extra := append([]string{}, HostPackages...)
	if forTests {
		extra = append(extra, TestPackages...)
	}
	if !forTests && cfg.Hermetic {
		return toolchain.AptPackages(nil, extra...)
	}
	// The host's compilers for the platforms a host-way run builds: those
	// selected, else every platform; for the tests, the four they build
	// (recipe.CIPlatforms): the tests of the host way build no other, the
	// other five platforms' cross gccs are in the build root, and
	// installing them on the host costs minutes for nothing.
	platforms := cfg.Platforms
	switch {
	case len(platforms) > 0:
	case forTests:
		platforms = recipe.CIPlatforms
	default:
		platforms = recipe.Platforms
	}
	// The build systems real programs use (autotools, cmake, ninja, pkg-config).
	return toolchain.AptPackages(onPlatforms(defs, platforms), append(extra, toolchain.BuildPackages...)...)
}

// onPlatforms is defs with only their targets of platforms.
func onPlatforms(defs []*toolchain.Definition, platforms []recipe.Platform) []*toolchain.Definition {
	out := make([]*toolchain.Definition, 0, len(defs))
	for _, d := range defs {
		c := *d
		c.Targets = nil
		for _, t := range d.Targets {
			if slices.Contains(platforms, t.Platform) {
				c.Targets = append(c.Targets, t)
			}
		}
		out = append(out, &c)
	}
	return out
}

func (c *CLI) setup(ctx context.Context, forTests bool) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	pkgs := setupPackages(cfg, defs, forTests)
	missing := c.missingPackages(ctx, pkgs)
	root := os.Geteuid() == 0
	_, aptErr := toolchain.LookPath("apt-get", append(cfg.HostPath, "/usr/bin"))
	var errs []error
	switch {
	case len(missing) == 0:
		fmt.Fprintf(c.log, "setup: %d Debian packages present\n", len(pkgs))
	case root && aptErr == nil:
		fmt.Fprintf(c.log, "setup: installing %d Debian packages: %s\n", len(missing), strings.Join(missing, " "))
		if err := c.aptInstall(ctx, missing); err != nil {
			errs = append(errs, err)
		}
	default:
		fmt.Fprintf(c.log, "setup: not root or no apt-get: cannot install %s\n  as root: apt-get install %s\n",
			strings.Join(missing, " "), strings.Join(missing, " "))
	}
	for _, d := range defs {
		if d.Provision.Npm == "" {
			continue
		}
		dir, err := toolchain.InstallNpm(ctx, http.DefaultClient, "", d, cfg.CacheDir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(c.log, "setup: %s from %s in %s\n", d.Name, d.Provision.Npm, dir)
	}
	if br := c.options(cfg).BuildRoot; br != nil && br.Problem == nil {
		dir, err := pipeline.EnsureBuildRoot(ctx, br, cfg.CacheDir)
		if err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(c.log, "setup: build root %.12s (%d packages) in %s\n", br.Lock.Digest, len(br.Lock.Packages), dir)
		}
	}
	if root {
		if err := smoke.RegisterBinfmt(); err != nil {
			errs = append(errs, fmt.Errorf("registering binfmt handlers: %w", err))
		}
		if err := smoke.StartDocker(ctx, filepath.Join(cfg.CacheDir, "dockerd.log")); err != nil {
			fmt.Fprintf(c.log, "setup: no Docker engine (%v); smoke runs use runc\n", err)
		}
	} else {
		fmt.Fprintln(c.log, "setup: not root: binfmt handlers and the Docker engine are left as they are")
		if e, why := smoke.Detect(ctx, c.options(cfg).EngineEnv); e != nil {
			fmt.Fprintf(c.log, "setup: smoke runs use %s\n", engineName(e))
		} else {
			fmt.Fprintf(c.log, "setup: smoke runs will be skipped: %s\n", why)
		}
	}
	if err := c.ListToolchains(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sysEnv is the environment of the system tools setup runs.
var sysEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"}

func (c *CLI) missingPackages(ctx context.Context, pkgs []string) []string {
	var missing []string
	for _, p := range pkgs {
		out, err := c.run(ctx, toolchain.Command{Args: []string{"dpkg-query", "-W", "-f=${Status}", p}}, sysEnv)
		if err != nil || !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	return missing
}

func (c *CLI) aptInstall(ctx context.Context, pkgs []string) error {
	for _, args := range [][]string{
		{"apt-get", "update", "-qq"},
		append([]string{"apt-get", "install", "-y", "-qq", "--no-install-recommends"}, pkgs...),
	} {
		if out, err := c.run(ctx, toolchain.Command{Args: args}, sysEnv); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args[:2], " "), err, toolchain.Tail(out, 2000))
		}
	}
	return nil
}

// Test runs go vet on the packages and the magefiles, then the test suite,
// streaming their output.
func (c *CLI) Test(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	run := toolchain.ExecTo(c.out)
	tmp, err := os.MkdirTemp("", "fromscratch-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	events := filepath.Join(tmp, "go-test.json")
	// gotestsum runs go test: a line per package, the whole output of a
	// failing test, and then the tests that took longest, so that a CI
	// log says where its time went.
	for _, args := range [][]string{
		{"go", "vet", "./..."},
		{"go", "vet", "-tags", "mage", "./magefiles"},
		{"go", "tool", "gotestsum", "--format", "pkgname-and-test-fails", "--format-hide-empty-pkg", "--jsonfile", events,
			"--", "-count=1", "-timeout", "80m", "./..."},
	} {
		fmt.Fprintf(c.out, "$ %s\n", strings.Join(args, " "))
		// go and its tests get the caller's environment: the tests read
		// FROMSCRATCH_* themselves.
		if _, err := run(ctx, toolchain.Command{Args: args, Dir: cfg.Root}, cfg.Environ); err != nil {
			err = fmt.Errorf("%s: %w", strings.Join(args, " "), err)
			if args[1] == "tool" { // the tests ran: their times tell where a timeout went
				c.slowestTests(ctx, run, cfg, events)
			}
			return err
		}
	}
	c.slowestTests(ctx, run, cfg, events)
	return nil
}

// slowestTests prints the tests of the go test events file that took a
// minute or more, slowest first.
func (c *CLI) slowestTests(ctx context.Context, run toolchain.Runner, cfg Config, events string) {
	fmt.Fprintln(c.out, "tests that took a minute or more:")
	args := []string{"go", "tool", "gotestsum", "tool", "slowest", "--jsonfile", events, "--threshold", "60s"}
	if _, err := run(ctx, toolchain.Command{Args: args, Dir: cfg.Root}, cfg.Environ); err != nil {
		fmt.Fprintf(c.out, "(%s: %v)\n", strings.Join(args, " "), err)
	}
}

// Load loads every archive of out/docker into the Docker engine.
func (c *CLI) Load(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	docker := outdir.Path(cfg.OutDir).Docker()
	archives, _ := filepath.Glob(filepath.Join(docker, "*.tar"))
	if len(archives) == 0 {
		return fmt.Errorf("no archives in %s (run %s first)", workspace.Rel(cfg.Root, docker), spell.Command("build:all"))
	}
	env := []string{"PATH=" + strings.Join(cfg.HostPath, ":"), "HOME=" + cfg.Home}
	var errs []error
	for _, a := range archives {
		out, err := c.run(ctx, toolchain.Command{Args: []string{"docker", "load", "-q", "-i", a}}, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("docker load %s: %w: %s", filepath.Base(a), err, toolchain.Tail(out, 500)))
			continue
		}
		fmt.Fprint(c.out, string(out))
	}
	fmt.Fprintf(c.out, "loaded %d of %d archives\n", len(archives)-len(errs), len(archives))
	return errors.Join(errs...)
}

// engineName is how setup names a smoke engine: runc without root runs
// rootless.
func engineName(e smoke.Engine) string {
	if e.Name() == "runc" && os.Geteuid() != 0 {
		return "runc, rootless (a user namespace of this user's)"
	}
	return e.Name()
}
