package toolchain_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// BenchmarkSandboxStep times one tiny build step run plainly and in the
// sandbox, side by side: the difference is the sandbox's cost per step.
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
