package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// ci:plan prints one JSON line a workflow's strategy.matrix reads: one
// shard per platform by default, per platform and toolchain on request,
// within FROMSCRATCH_PLATFORMS and FROMSCRATCH_TOOLCHAINS.
func TestPlanVerb(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want []string // name=platforms|toolchains
	}{
		{nil, []string{"linux-amd64=linux/amd64|", "linux-arm64=linux/arm64|", "linux-arm-v7=linux/arm/v7|", "linux-riscv64=linux/riscv64|"}},
		{[]string{"FROMSCRATCH_SHARDS=toolchain", "FROMSCRATCH_PLATFORMS=amd64,arm64"}, []string{
			"linux-amd64-gcc=linux/amd64|gcc", "linux-amd64-musl-gcc=linux/amd64|musl-gcc", "linux-amd64-zig=linux/amd64|zig",
			"linux-arm64-gcc+musl-gcc=linux/arm64|gcc,musl-gcc", "linux-arm64-zig=linux/arm64|zig"}},
		{[]string{"FROMSCRATCH_TOOLCHAINS=zig", "FROMSCRATCH_PLATFORMS=riscv64"}, []string{"linux-riscv64-zig=linux/riscv64|zig"}},
	} {
		c, out, _ := testCLI(t, repoRoot(t), tc.env...)
		if err := c.Run(t.Context(), []string{"ci:plan"}); err != nil {
			t.Fatal(err)
		}
		if strings.Count(out.String(), "\n") != 1 {
			t.Errorf("ci:plan printed more than one line: %q", out)
		}
		var m shard.Matrix
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range m.Include {
			got = append(got, s.Name+"="+s.Platforms+"|"+s.Toolchains)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%v: plan\n%v\nwant\n%v", tc.env, got, tc.want)
		}
	}
	c, _, _ := testCLI(t, repoRoot(t))
	c.env = append(c.env, "FROMSCRATCH_SHARDS=arch")
	if err := c.Run(t.Context(), []string{"ci:plan"}); err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_SHARDS") || !strings.Contains(err.Error(), "platform, toolchain, single") {
		t.Errorf("an unknown FROMSCRATCH_SHARDS: %v", err)
	}
}

// matrix:merge names a missing shard directory and one that is not a
// shard's output, and refuses to merge nothing.
func TestMergeRefusals(t *testing.T) {
	c, _, _ := testCLI(t, repoRoot(t))
	missing := filepath.Join(t.TempDir(), "out-linux-arm64")
	empty := t.TempDir()
	err := c.Run(t.Context(), []string{"matrix:merge", missing, empty})
	if err == nil || !strings.Contains(err.Error(), missing+": no such directory") || !strings.Contains(err.Error(), empty+": no shard.json") {
		t.Errorf("merging a missing and an empty directory: %v", err)
	}
	if err := c.Run(t.Context(), []string{"matrix:merge"}); err == nil || !strings.Contains(err.Error(), "DIR...") {
		t.Errorf("merging nothing: %v", err)
	}
}

func TestShardVariables(t *testing.T) {
	cfg, err := LoadConfig(t.TempDir(), []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_TOOLCHAINS=gcc, zig", "FROMSCRATCH_RECIPES=hello",
		"FROMSCRATCH_SHARDS=toolchain", "FROMSCRATCH_PARTIAL=yes", "GITHUB_SHA=abc"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Toolchains, ",") != "gcc,zig" || strings.Join(cfg.Recipes, ",") != "hello" || cfg.Shards != shard.ByToolchain || !cfg.PartialMerge || cfg.Commit != "abc" {
		t.Errorf("config = %+v", cfg)
	}
}

// matrix:merge refuses bad shards with an error naming them, and a merge
// that fails, before or while writing, leaves the previous out/ as it was.
func TestMergeFaultsKeepOut(t *testing.T) {
	root := repoRoot(t)
	inputs, err := shard.InputsDigest(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// shardDir writes a shard output holding only its shard.json: enough
	// for the refusals, and a shard whose matrix.json and images are lost.
	shardDir := func(name, commit, platform string) string {
		d := filepath.Join(dir, name)
		m := &shard.Manifest{SchemaVersion: shard.SchemaVersion, Name: strings.ReplaceAll(platform, "/", "-"),
			Commit: commit, Inputs: inputs, Version: Version, SourceDateEpoch: DefaultEpoch,
			Platforms: []string{platform}, Toolchains: []string{}, Recipes: []string{"hello"},
			Cells: []shard.Cell{{Recipe: "hello", Platform: platform, Toolchain: "zig", Linkage: "static", Status: "built", Digest: "sha256:" + strings.Repeat("a", 64)}}}
		if err := m.Write(d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	amd := shardDir("out-linux-amd64", "abc", "linux/amd64")
	arm := shardDir("out-linux-arm64", "abc", "linux/arm64")
	armOther := shardDir("out-linux-arm64-other-commit", "def", "linux/arm64")

	for _, tc := range []struct {
		name    string
		env     []string
		dirs    []string
		wantErr []string
	}{
		{"a shard directory missing", nil, []string{amd, filepath.Join(dir, "out-linux-riscv64")},
			[]string{"out-linux-riscv64: no such directory"}},
		{"shards missing", nil, []string{amd, arm},
			[]string{"22 cell(s) unaccounted for", "hello linux/arm/v7 zig-static", "FROMSCRATCH_PARTIAL=1"}},
		{"the same shard twice", []string{"FROMSCRATCH_PARTIAL=1"}, []string{amd, arm, arm},
			[]string{"shard linux-arm64 is given twice: " + arm + " and " + arm}},
		{"a shard of another commit", []string{"FROMSCRATCH_PARTIAL=1"}, []string{amd, armOther},
			[]string{"commit", `"def"`, `"abc"`, "linux-arm64 (" + armOther + ")", "merge shards of one build"}},
		{"a shard that lost its matrix and images", []string{"FROMSCRATCH_PARTIAL=1"}, []string{amd, arm},
			[]string{"merging shard linux-amd64 (" + amd + ")", "matrix.json", "is unchanged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, cfg := testCLI(t, root, append([]string{"FROMSCRATCH_RECIPES=hello"}, tc.env...)...)
			// The previous merge's out/.
			for name, data := range map[string]string{
				markerFile: "marker\n", "matrix.json": `{"previous": true}`, "shard.json": "{}\n",
				"oci/hello/index.json": "{}\n", "docker/hello_zig-static_amd64.tar": "tar", "bin/hello/linux-amd64/zig-static/hello": "elf",
			} {
				p := filepath.Join(cfg.OutDir, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := testutil.ReadTree(t, cfg.OutDir)
			err := c.Run(t.Context(), append([]string{"matrix:merge"}, tc.dirs...))
			if err == nil {
				t.Fatal("the merge succeeded")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q:\n%v", s, err)
				}
			}
			after := testutil.ReadTree(t, cfg.OutDir)
			delete(after, lockFile)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("the failed merge changed out/:\nbefore %v\nafter  %v", keys(before), keys(after))
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
