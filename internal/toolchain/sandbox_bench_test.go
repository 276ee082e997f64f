package toolchain_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// BenchmarkSandboxStep times one tiny build step run plainly and in the
// sandbox, side by side: the difference is the sandbox's cost per step.
// A cell of a recipe of files (hello: its dependency scan, then compile
// and link) is timed plainly, with one sandbox per step, and with its
// steps as one shell in one sandbox (toolchain.OneShell, as the build
// root runs it).
//
//	go test -run '^$' -bench SandboxStep ./internal/toolchain
func BenchmarkSandboxStep(b *testing.B) {
	s, w, _ := hostSandbox(b)
	src := filepath.Join(w, "hello.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	steps := []struct {
		name string
		c    toolchain.Command
	}{
		{"true", toolchain.Command{Args: []string{"true"}, Dir: w}},
		{"gcc-c", toolchain.Command{Args: []string{"gcc", "-c", "-O2", "hello.c", "-o", "hello.o"}, Dir: w}},
	}
	cell := []toolchain.Command{
		{Args: []string{"gcc", "-O2", "hello.c", "-M", "-MF", "hello.d", "-o", "/dev/null"}, Dir: w},
		{Args: []string{"gcc", "-O2", "hello.c", "-o", "hello"}, Dir: w},
	}
	script, _ := toolchain.OneShell(cell)
	sandboxed := s.Wrap(toolchain.Exec)
	for _, way := range []struct {
		name string
		run  func(b *testing.B) error
	}{
		{"plain", func(b *testing.B) error { return runAll(b, toolchain.Exec, cell) }},
		{"sandbox-per-step", func(b *testing.B) error { return runAll(b, sandboxed, cell) }},
		{"sandbox-one-shell", func(b *testing.B) error { return runAll(b, sandboxed, []toolchain.Command{script}) }},
	} {
		b.Run("hello-cell/"+way.name, func(b *testing.B) {
			for b.Loop() {
				if err := way.run(b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, st := range steps {
		for _, way := range []struct {
			name string
			run  toolchain.Runner
		}{{"plain", toolchain.Exec}, {"sandbox", s.Wrap(toolchain.Exec)}} {
			b.Run(st.name+"/"+way.name, func(b *testing.B) {
				for b.Loop() {
					if out, err := way.run(b.Context(), st.c, sandboxEnv); err != nil {
						b.Fatalf("%s: %v: %s", st.c, err, out)
					}
				}
			})
		}
	}
}

// runAll runs steps in order with run.
func runAll(b *testing.B, run toolchain.Runner, steps []toolchain.Command) error {
	for _, c := range steps {
		if out, err := run(b.Context(), c, sandboxEnv); err != nil {
			return fmt.Errorf("%s: %v: %s", c, err, out)
		}
	}
	return nil
}
