package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

func TestParseBool(t *testing.T) {
	for _, tc := range []struct {
		in   string
		def  bool
		want bool
	}{
		{"", true, true}, {"", false, false},
		{"1", false, true}, {"true", false, true}, {"TRUE", false, true}, {"yes", false, true}, {"on", false, true},
		{"0", true, false}, {"false", true, false}, {"No", true, false}, {"off", true, false},
	} {
		got, err := ParseBool("FROMSCRATCH_X", tc.in, tc.def)
		if err != nil || got != tc.want {
			t.Errorf("ParseBool(%q, default %v) = %v, %v; want %v", tc.in, tc.def, got, err, tc.want)
		}
	}
	for _, bad := range []string{"2", "y", "enable", "truee"} {
		if _, err := ParseBool("FROMSCRATCH_SMOKE", bad, true); err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_SMOKE") {
			t.Errorf("ParseBool(%q) = %v, want an error naming the variable", bad, err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	root := t.TempDir()
	cfg, err := LoadConfig(root, []string{
		"FROMSCRATCH_NO_CACHE=true", "FROMSCRATCH_SMOKE=false", "FROMSCRATCH_JOBS=3",
		"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_OUT=/o", "FROMSCRATCH_PLATFORMS=arm64, linux/riscv64",
		"FROMSCRATCH_MAX_GROWTH=7.5", "PATH=/a:/b", "SOURCE_DATE_EPOCH=1700000000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NoCache || cfg.Smoke || cfg.Jobs != 3 || cfg.CacheDir != "/c" || cfg.OutDir != "/o" ||
		len(cfg.Platforms) != 2 || cfg.Platforms[1] != "linux/riscv64" || cfg.Gate.MaxGrowthPercent != 7.5 ||
		strings.Join(cfg.HostPath, ":") != "/a:/b" || cfg.BuildDate.Unix() != 1700000000 {
		t.Errorf("config = %+v", cfg)
	}
	def, err := LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c"})
	if err != nil {
		t.Fatal(err)
	}
	if !def.Smoke || def.NoCache || def.RequireAll || def.Gate.MaxGrowthPercent != 5 || def.BuildDate.Unix() != DefaultEpoch {
		t.Errorf("defaults = %+v", def)
	}
	// Every bad value is named, all at once.
	_, err = LoadConfig(root, []string{"FROMSCRATCH_SMOKE=maybe", "FROMSCRATCH_JOBS=0", "FROMSCRATCH_PLATFORMS=sparc64", "FROMSCRATCH_CACHE=/c"})
	for _, want := range []string{"FROMSCRATCH_SMOKE", "FROMSCRATCH_JOBS", "FROMSCRATCH_PLATFORMS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad environment: %v, want %s named", err, want)
		}
	}
}

// Every variable LoadConfig reads is documented.
func TestVariablesDocumented(t *testing.T) {
	var env []string
	for _, v := range Variables {
		env = append(env, v.Name+"=")
	}
	if _, err := LoadConfig(t.TempDir(), append(env, "FROMSCRATCH_CACHE=/c")); err != nil {
		t.Fatal(err)
	}
	src := mustRead(t, "config.go")
	for _, name := range quotedVars(src) {
		found := false
		for _, v := range Variables {
			found = found || v.Name == name
		}
		if !found {
			t.Errorf("%s is read in config.go but not in Variables", name)
		}
	}
}

// FROMSCRATCH_STALL_TIMEOUT sets the downloads' stall limit; a value that
// is not a positive duration is refused, naming the variable.
func TestStallTimeout(t *testing.T) {
	cfg, err := LoadConfig(t.TempDir(), []string{"FROMSCRATCH_CACHE=/c"})
	if err != nil || cfg.StallTimeout != 60*time.Second {
		t.Errorf("default: %v, %v; want 60s", cfg.StallTimeout, err)
	}
	if cfg, err = LoadConfig(t.TempDir(), []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_STALL_TIMEOUT=5s"}); err != nil || cfg.StallTimeout != 5*time.Second {
		t.Errorf("5s: %v, %v", cfg.StallTimeout, err)
	}
	for _, bad := range []string{"5", "-1s", "0s"} {
		if _, err := LoadConfig(t.TempDir(), []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_STALL_TIMEOUT=" + bad}); err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_STALL_TIMEOUT") {
			t.Errorf("%q: error = %v", bad, err)
		}
	}
}

func TestBuildDateBounds(t *testing.T) {
	d, err := BuildDate("")
	if err != nil || d.Unix() != DefaultEpoch || d.Location() != time.UTC {
		t.Fatalf("BuildDate(\"\") = %v, %v; want the default epoch in UTC", d, err)
	}
	if d, err := BuildDate("8589934591"); err != nil || d.Year() != 2242 {
		t.Errorf("the largest tar date: %v, %v", d, err)
	}
	for _, bad := range []string{"-1", "abc", "8589934592", "253402300800", "99999999999999"} {
		if _, err := BuildDate(bad); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
			t.Errorf("BuildDate(%q) = %v, want an error naming SOURCE_DATE_EPOCH", bad, err)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// quotedVars finds the variable names config.go reads: getenv("NAME").
func quotedVars(src string) []string {
	var out []string
	for _, part := range strings.Split(src, `getenv("`)[1:] {
		if i := strings.IndexByte(part, '"'); i > 0 {
			out = append(out, part[:i])
		}
	}
	for _, part := range strings.Split(src, `{"FROMSCRATCH_`)[1:] {
		if i := strings.IndexByte(part, '"'); i > 0 {
			out = append(out, "FROMSCRATCH_"+part[:i])
		}
	}
	return out
}

// fromscratch.toml gives the defaults, the environment overrides them,
// and a mistake in the file is named with its key.
func TestLoadConfigProjectFile(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "fromscratch.toml"), []byte(
		"platforms = [\"linux/amd64\", \"linux/arm64\"]\ntoolchains = [\"gcc\"]\nlinkages = [\"static\"]\nout = \"images\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg.Platforms, cfg.Toolchains, cfg.Linkages) != "[linux/amd64 linux/arm64] [gcc] [static]" || cfg.OutDir != filepath.Join(root, "images") {
		t.Errorf("from the file: platforms %v, toolchains %v, linkages %v, out %s", cfg.Platforms, cfg.Toolchains, cfg.Linkages, cfg.OutDir)
	}
	cfg, err = LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_PLATFORMS=riscv64", "FROMSCRATCH_TOOLCHAINS=zig,musl-gcc",
		"FROMSCRATCH_LINKAGES=dynamic", "FROMSCRATCH_OUT=/o"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg.Platforms, cfg.Toolchains, cfg.Linkages) != "[linux/riscv64] [zig musl-gcc] [dynamic]" || cfg.OutDir != "/o" {
		t.Errorf("the environment over the file: platforms %v, toolchains %v, linkages %v, out %s", cfg.Platforms, cfg.Toolchains, cfg.Linkages, cfg.OutDir)
	}
	cfg, err = LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_PLATFORMS=all"})
	if err != nil || !reflect.DeepEqual(cfg.Platforms, recipe.Platforms) {
		t.Errorf("FROMSCRATCH_PLATFORMS=all: %v, %v; want all nine platforms", cfg.Platforms, err)
	}
	if _, err := LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_PLATFORMS=amd64,all"}); err == nil || !strings.Contains(err.Error(), `"all" selects every platform and stands alone`) {
		t.Errorf("FROMSCRATCH_PLATFORMS=amd64,all: %v", err)
	}
	if _, err := LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_LINKAGES=shared"}); err == nil || !strings.Contains(err.Error(), `FROMSCRATCH_LINKAGES="shared": unknown linkage`) {
		t.Errorf("bad FROMSCRATCH_LINKAGES: %v", err)
	}
	// A toolchain no toolchain file names, from the file, the environment
	// or a flag, is named as it was given, with the closest one.
	if err := os.WriteFile(filepath.Join(root, "fromscratch.toml"), []byte("toolchains = [\"gcc\", \"zgi\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env   []string
		flags Flags
		want  string
	}{
		{nil, nil, `fromscratch.toml: toolchains[1]: unknown toolchain "zgi", did you mean zig? (allowed: gcc, musl-gcc, prebuilt, zig)`},
		{[]string{"FROMSCRATCH_TOOLCHAINS=gccc"}, nil, `FROMSCRATCH_TOOLCHAINS="gccc": unknown toolchain "gccc", did you mean gcc?`},
		{[]string{"FROMSCRATCH_TOOLCHAINS=zig"}, Flags{"FROMSCRATCH_TOOLCHAINS": "gccc"}, `--toolchain="gccc": unknown toolchain "gccc", did you mean gcc?`},
	} {
		_, err := loadConfig(root, append([]string{"FROMSCRATCH_CACHE=/c"}, tc.env...), tc.flags)
		if err == nil || !strings.Contains(err.Error(), tc.want) || ExitCode(err) != ExitUsage {
			t.Errorf("%v %v: %v (exit %d), want %q and exit 2", tc.env, tc.flags, err, ExitCode(err), tc.want)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "fromscratch.toml"), []byte("toolchain = [\"gcc\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(root, []string{"FROMSCRATCH_CACHE=/c"})
	if err == nil || !strings.Contains(err.Error(), "fromscratch.toml: toolchain: unknown key (did you mean toolchains?)") {
		t.Errorf("unknown key: %v", err)
	}
	if code := ExitCode(err); code != ExitUsage {
		t.Errorf("a bad fromscratch.toml exits %d, want %d as a bad setting does", code, ExitUsage)
	}
}
