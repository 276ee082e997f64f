package toolchain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/spell"
)

// Status is what Detect found for one target of a toolchain.
type Status struct {
	Def       *Definition
	Target    Target
	Available bool
	Version   string
	// Resolved maps each command name of the templates to its absolute path.
	Resolved map[string]string
	// PathDirs is the PATH the compiler runs with: its own directory first.
	PathDirs []string
	// Reason says why the target is unavailable, Hint how to get it.
	Reason, Hint string
	// LibsMissing is set when the compiler is there but the target's runtime
	// libraries (needed for dynamic images) are not.
	LibsMissing string
}

// Hint says how a target of d is provisioned.
func (d *Definition) Hint(t Target) string {
	var parts []string
	if len(t.Apt) > 0 {
		parts = append(parts, "apt-get install "+strings.Join(t.Apt, " "))
	}
	if d.Provision.Npm != "" {
		parts = append(parts, spell.Command("setup")+" (installs "+d.Provision.Npm+" from npm into the cache)")
	}
	return strings.Join(parts, "; ")
}

// LookPath finds an executable by name in dirs (an absolute name is checked
// as is).
func LookPath(name string, dirs []string) (string, error) {
	if filepath.IsAbs(name) {
		if isExec(name) {
			return name, nil
		}
		return "", fmt.Errorf("%s is not an executable", name)
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExec(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (looked in %s)", name, strings.Join(dirs, ":"))
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Detect checks every target of d: its binaries exist in searchDirs, its
// version satisfies the constraint, its runtime libraries are present.
func Detect(ctx context.Context, run Runner, d *Definition, searchDirs []string, env EnvConfig) []Status {
	out := make([]Status, 0, len(d.Targets))
	for _, t := range d.Targets {
		out = append(out, detectTarget(ctx, run, d, t, searchDirs, env))
	}
	return out
}

func detectTarget(ctx context.Context, run Runner, d *Definition, t Target, dirs []string, env EnvConfig) Status {
	s := Status{Def: d, Target: t, Resolved: map[string]string{}, Hint: d.Hint(t)}
	for _, tmpl := range [][]string{d.CC, d.CXX, d.AR, d.Version} {
		if len(tmpl) == 0 {
			continue
		}
		name := Expand(tmpl, t, "static")[0]
		if _, ok := s.Resolved[name]; ok {
			continue
		}
		p, err := LookPath(name, dirs)
		if err != nil {
			s.Reason = fmt.Sprintf("%s not found", name)
			return s
		}
		s.Resolved[name] = p
	}
	cc := s.Resolved[Expand(d.CC, t, "static")[0]]
	s.PathDirs = append([]string{filepath.Dir(cc)}, SystemPath...)
	env.PathDirs = s.PathDirs
	vargs := Expand(d.Version, t, "static")
	vargs[0] = s.Resolved[vargs[0]]
	outb, err := run(ctx, Command{Args: vargs, Dir: "/"}, Env(env))
	if err != nil {
		s.Reason = fmt.Sprintf("running %s: %v: %s", strings.Join(vargs, " "), err, strings.TrimSpace(string(outb)))
		return s
	}
	if !s.accept(ParseVersion(string(outb))) {
		return s
	}
	var missing []string
	for _, dir := range t.LibDirs {
		if _, err := os.Stat(dir); err == nil {
			missing = nil
			break
		}
		missing = append(missing, dir)
	}
	if len(missing) > 0 {
		s.LibsMissing = "runtime libraries not found in " + strings.Join(missing, ", ")
	}
	return s
}

// accept takes the detected version v (or the error finding it): the
// target is available when v satisfies the definition's constraint, else
// Reason says why not.
func (s *Status) accept(v string, err error) bool {
	if err == nil {
		s.Version = v
		err = s.Def.Check(v)
	}
	if err != nil {
		s.Reason = err.Error()
		return false
	}
	s.Available = true
	return true
}
