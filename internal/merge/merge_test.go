package merge

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// matrix:merge names a missing shard directory and one that is not a
// shard's output, and refuses to merge nothing.
func TestMergeRefusals(t *testing.T) {
	o := testOptions(t)
	missing := filepath.Join(t.TempDir(), "out-linux-arm64")
	empty := t.TempDir()
	err := Shards(t.Context(), o, []string{missing, empty})
	if err == nil || !strings.Contains(err.Error(), missing+": no such directory") || !strings.Contains(err.Error(), empty+": no shard.json") {
		t.Errorf("merging a missing and an empty directory: %v", err)
	}
	if err := Shards(t.Context(), o, nil); err == nil || !strings.Contains(err.Error(), "no shard directories") {
		t.Errorf("merging nothing: %v", err)
	}
	if err := Shards(t.Context(), o, []string{o.Engine.OutDir}); err == nil || !strings.Contains(err.Error(), "the output directory itself") {
		t.Errorf("merging out/ into itself: %v", err)
	}
}

// matrix:merge refuses bad shards with an error naming them, and a merge
// that fails, before or while writing, leaves the previous out/ as it was.
func TestMergeFaultsKeepOut(t *testing.T) {
	root := testutil.RepoRoot(t)
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
			Commit: commit, Inputs: inputs, Version: "0.3.0", SourceDateEpoch: 1704067200,
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
		partial bool
		dirs    []string
		wantErr []string
	}{
		{"a shard directory missing", false, []string{amd, filepath.Join(dir, "out-linux-riscv64")},
			[]string{"out-linux-riscv64: no such directory"}},
		// No platform selected: hello's cells on all nine platforms, three
		// toolchains, two linkages (54), less the two of the shards.
		{"shards missing", false, []string{amd, arm},
			[]string{"52 cell(s) unaccounted for", "hello linux/arm/v7 zig-static", "FROMSCRATCH_PARTIAL=1"}},
		{"the same shard twice", true, []string{amd, arm, arm},
			[]string{"shard linux-arm64 is given twice: " + arm + " and " + arm}},
		{"a shard of another commit", true, []string{amd, armOther},
			[]string{"commit", `"def"`, `"abc"`, "linux-arm64 (" + armOther + ")", "merge shards of one build"}},
		{"a shard that lost its matrix and images", true, []string{amd, arm},
			[]string{"merging shard linux-amd64 (" + amd + ")", "matrix.json", "is unchanged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t)
			o.Partial = tc.partial
			out := o.Engine.OutDir
			// The previous merge's out/.
			for name, data := range map[string]string{
				outdir.MarkerFile: "marker\n", "matrix.json": `{"previous": true}`, "shard.json": "{}\n",
				"oci/hello/index.json": "{}\n", "docker/hello_zig-static_amd64.tar": "tar", "bin/hello/linux-amd64/zig-static/hello": "elf",
			} {
				p := filepath.Join(out, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := testutil.ReadTree(t, out)
			err := Shards(t.Context(), o, tc.dirs)
			if err == nil {
				t.Fatal("the merge succeeded")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q:\n%v", s, err)
				}
			}
			after := testutil.ReadTree(t, out)
			delete(after, outdir.LockFile)
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

// testOptions merge into a fresh out/ of the repository's recipes, with
// the shared cache (FROMSCRATCH_CACHE, else ~/.cache/fromscratch).
func testOptions(t *testing.T) Options {
	t.Helper()
	engine := pipeline.Options{Root: testutil.RepoRoot(t), OutDir: filepath.Join(t.TempDir(), "out"), CacheDir: testutil.CacheDir(t),
		HostPath: filepath.SplitList(os.Getenv("PATH")), BuildDate: time.Unix(1704067200, 0).UTC()}
	manifest := func(context.Context, pipeline.Options) (*shard.Manifest, error) {
		t.Fatal("a refused merge asked for its manifest")
		return nil, nil
	}
	return Options{Engine: engine, Run: toolchain.Exec, Manifest: manifest, Log: io.Discard}
}

// swapIn puts tmp's entries in place of out's, removes what tmp lacks,
// leaves alone what it was not asked to swap, and leaves no temporaries.
func TestSwapIn(t *testing.T) {
	out, tmp := t.TempDir(), t.TempDir()
	for name, data := range map[string]string{"bin/old": "old", "matrix.json": "old", "notes.txt": "mine"} {
		os.MkdirAll(filepath.Dir(filepath.Join(out, name)), 0o755)
		os.WriteFile(filepath.Join(out, name), []byte(data), 0o644)
	}
	for name, data := range map[string]string{"bin/new": "new", "oci/index.json": "{}"} {
		os.MkdirAll(filepath.Dir(filepath.Join(tmp, name)), 0o755)
		os.WriteFile(filepath.Join(tmp, name), []byte(data), 0o644)
	}
	if err := swapIn(tmp, out, []string{"bin", "oci", "matrix.json"}); err != nil {
		t.Fatal(err)
	}
	got := testutil.ReadTree(t, out)
	want := map[string][]byte{"bin/new": []byte("new"), "oci/index.json": []byte("{}"), "notes.txt": []byte("mine")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("out/ after the swap holds %v, want %v", keys(got), keys(want))
	}
}
