package toolchain

import "context"

// A CellBuild is one cell's build with its paths resolved: a recipe of
// files compiled by the toolchain (Plan) or a project built by its own
// build system (Project). The engine keys, runs and times either through
// it.
type CellBuild interface {
	// Steps are the commands, in order.
	Steps() []Command
	// Files are written before the first step (a project's wrapper
	// scripts and CMake toolchain file; none for a Plan).
	Files() []File
	// Env is the environment of every step: base (Env's) plus the
	// build's own variables (none for a Plan).
	Env(base []string) []string
	// Run runs the steps with env and returns the log of all that ran.
	Run(ctx context.Context, run Runner, env []string) ([]byte, error)
}

var (
	_ CellBuild = Plan{}
	_ CellBuild = Project{}
)

// Files of a Plan: none, its sources are the recipe folder's.
func (Plan) Files() []File { return nil }

// Env of a Plan is base: the compiler gets the explicit environment as
// it is, its flags are on its command lines.
func (Plan) Env(base []string) []string { return base }

// Run is Build of p.
func (p Plan) Run(ctx context.Context, run Runner, env []string) ([]byte, error) {
	return Build(ctx, run, p, env)
}

// Run is BuildProject of p.
func (p Project) Run(ctx context.Context, run Runner, env []string) ([]byte, error) {
	return BuildProject(ctx, run, p, env)
}
