package toolchain

import (
	"context"
	"strconv"
	"strings"
)

// makefile is build = "make", in the source tree: make -jN with CC, AR,
// RANLIB, LD, CFLAGS and LDFLAGS as variables and the recipe's make_args
// (last, so they win); then make install DESTDIR=<stage> prefix=/usr
// PREFIX=/usr, unless the recipe names the built file to copy instead
// (BuildProject copies it).
type makefile struct{}

func (makefile) steps(p Project) []Command {
	vars := []string{"CC=" + p.toolWord("cc"), "AR=" + p.toolWord("ar"), "RANLIB=" + p.toolWord("ranlib"), "LD=" + p.toolWord("ld"),
		"CFLAGS=" + strings.Join(append(p.CPPFlags(), p.CFlags()...), " "), "LDFLAGS=" + strings.Join(p.LDFlags(), " ")}
	if cxx := p.toolWord("c++"); cxx != "" {
		vars = append(vars[:1], append([]string{"CXX=" + cxx}, vars[1:]...)...)
	}
	vars = append(vars, p.ExpandArgs(p.Recipe.Args(p.Linkage).MakeArgs)...)
	steps := []Command{{Args: append([]string{"make", "-j" + strconv.Itoa(p.jobs())}, vars...), Dir: p.SourceDir, Phase: PhaseMake}}
	if p.Recipe.Built == "" {
		install := []string{"make", "install", "DESTDIR=" + p.StageDir, "prefix=/usr", "PREFIX=/usr"}
		steps = append(steps, Command{Args: append(install, vars...), Dir: p.SourceDir, Phase: PhaseMake})
	}
	return steps
}

func (makefile) files(Project) []File { return nil }

func (makefile) vars(Project) map[string]string { return nil }

func (makefile) runStep(ctx context.Context, run Runner, _ Project, c Command, env []string) ([]byte, error) {
	return runStep(ctx, run, c, env)
}
