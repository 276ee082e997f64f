package smoke

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.Missing(t, "registering binfmt_misc handlers needs root")
	}
}

// TestRegisterBinfmt registers the real handlers twice; afterwards every platform can run.
func TestRegisterBinfmt(t *testing.T) {
	requireRoot(t)
	for _, e := range qemuEntries {
		conf := filepath.Join(binfmtConfDir, e+".conf")
		if _, err := os.Stat(conf); err != nil && builtinRules[e] == "" {
			testutil.Missing(t, "%s is missing (apt-get install qemu-user-static)", conf)
		}
	}
	for i := range 2 {
		if err := RegisterBinfmt(); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	for _, p := range recipe.Platforms {
		if ok, why := CanRun(string(p)); !ok {
			t.Errorf("after RegisterBinfmt, CanRun(%s) = false: %s", p, why)
		}
	}
}

// TestRegisterBinfmtMissing checks, against a fake binfmt_misc, that only the missing entry is
// registered, with its conf file's rule and without the comments.
func TestRegisterBinfmtMissing(t *testing.T) {
	requireRoot(t)
	present := map[string]string{}
	for _, e := range qemuEntries {
		if e != "qemu-riscv64" {
			present[e] = entry("enabled", "POF")
		}
	}
	dir := fakeBinfmt(t, present)
	conf := t.TempDir()
	rule := `:qemu-riscv64:M::\x7f\x45\x4c\x46\x02\x01\x01:\xff\xff\xff\xff\xff\xff\xff:/usr/libexec/qemu-binfmt/riscv64-binfmt-P:OPF`
	if err := os.WriteFile(filepath.Join(conf, "qemu-riscv64.conf"), []byte("# from qemu-user-static\n"+rule+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := binfmtConfDir
	binfmtConfDir = conf
	t.Cleanup(func() { binfmtConfDir = old })

	if err := RegisterBinfmt(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "register"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != rule {
		t.Errorf("registered %q, want %q", got, rule)
	}

	// Without the conf file the error says which package provides it.
	if err := os.Remove(filepath.Join(conf, "qemu-riscv64.conf")); err != nil {
		t.Fatal(err)
	}
	if err := RegisterBinfmt(); err == nil || !strings.Contains(err.Error(), "qemu-user-static") {
		t.Errorf("RegisterBinfmt without qemu-riscv64.conf = %v, want an error naming qemu-user-static", err)
	}
}

// TestRegisterRule writes a rule that matches no real file to the kernel's binfmt_misc and
// removes it again: the write path RegisterBinfmt uses, without touching the qemu entries.
func TestRegisterRule(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat(filepath.Join(binfmtDir, "register")); err != nil {
		testutil.Missing(t, "binfmt_misc is not mounted at %s", binfmtDir)
	}
	name := fmt.Sprintf("fromscratch-smoke-%d", os.Getpid())
	rule := fmt.Sprintf(`:%s:M::\x00\xffFROMSCRATCHSMOKE::/bin/true:`, name)
	if err := register(rule); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(binfmtDir, name)
	t.Cleanup(func() {
		if err := os.WriteFile(path, []byte("-1"), 0); err != nil {
			t.Errorf("unregistering %s: %v", name, err)
		}
	})
	if enabled, _, err := readEntry(path); err != nil || !enabled {
		t.Fatalf("after registering, %s: enabled %v, %v", path, enabled, err)
	}
	if err := register(rule); err != nil {
		t.Errorf("registering %s again: %v, want no error", name, err)
	}
}
