package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/toolchain"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// HostPackages are the Debian packages the images are run with, and the
// sandbox the build steps run in (bubblewrap).
// curl is the distribution program the tests pack with image:wrap;
// docker-registry is the registry the push and remote-cache tests use;
// umoci and skopeo read the OCI layouts and registries in the tests, as
// users downstream do; mmdebstrap assembles the Debian 13 root that the
// other-host test (internal/otherhost) imports into Docker and builds the
// release in.
var HostPackages = []string{"binutils", "bubblewrap", "curl", "docker-registry", "docker.io", "mmdebstrap", "qemu-user-static", "runc", "skopeo", "umoci"}

// Setup provisions what the matrix needs, idempotently: missing Debian
// packages (as root with apt-get), the npm-provisioned toolchains into the
// cache, the binfmt handlers for foreign platforms and a Docker engine.
// Without root it says what is missing and carries on: build:all then
// builds what it can.
func (c *CLI) Setup(ctx context.Context) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	// The build systems real programs use (autotools, cmake, ninja, pkg-config).
	extra := append(append([]string{}, HostPackages...), toolchain.BuildPackages...)
	if _, err := toolchain.LookPath("npm", cfg.HostPath); err != nil {
		extra = append(extra, "npm")
	}
	pkgs := toolchain.AptPackages(defs, extra...)
	missing := c.missingPackages(ctx, pkgs)
	root := os.Geteuid() == 0
	_, aptErr := toolchain.LookPath("apt-get", append(cfg.HostPath, "/usr/bin"))
	var errs []error
	switch {
	case len(missing) == 0:
		fmt.Fprintf(c.out, "setup: %d Debian packages present\n", len(pkgs))
	case root && aptErr == nil:
		fmt.Fprintf(c.out, "setup: installing %d Debian packages: %s\n", len(missing), strings.Join(missing, " "))
		if err := c.aptInstall(ctx, missing); err != nil {
			errs = append(errs, err)
		}
	default:
		fmt.Fprintf(c.out, "setup: not root or no apt-get: cannot install %s\n  as root: apt-get install %s\n",
			strings.Join(missing, " "), strings.Join(missing, " "))
	}
	env := toolchain.Env(envConfig(cfg, cfg.HostPath))
	for _, d := range defs {
		if d.Provision.Npm == "" {
			continue
		}
		dir, err := toolchain.InstallNpm(ctx, c.run, d, cfg.CacheDir, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(c.out, "setup: %s from %s in %s\n", d.Name, d.Provision.Npm, dir)
	}
	if root {
		if err := smoke.RegisterBinfmt(); err != nil {
			errs = append(errs, fmt.Errorf("registering binfmt handlers: %w", err))
		}
		if err := smoke.StartDocker(ctx, filepath.Join(cfg.CacheDir, "dockerd.log")); err != nil {
			fmt.Fprintf(c.out, "setup: no Docker engine (%v); smoke runs use runc\n", err)
		}
	} else {
		fmt.Fprintln(c.out, "setup: not root: binfmt handlers and the Docker engine are left as they are")
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
	for _, args := range [][]string{
		{"go", "vet", "./..."},
		{"go", "vet", "-tags", "mage", "./magefiles"},
		{"go", "test", "-count=1", "-timeout", "60m", "./..."},
	} {
		fmt.Fprintf(c.out, "$ %s\n", strings.Join(args, " "))
		// go and its tests get the caller's environment: the tests read
		// FROMSCRATCH_* themselves.
		if _, err := run(ctx, toolchain.Command{Args: args, Dir: cfg.Root}, cfg.Environ); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
		}
	}
	return nil
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
		return fmt.Errorf("no archives in %s (run go tool mage build:all first)", workspace.Rel(cfg.Root, docker))
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
