package shard

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

var toolchains = []Toolchain{
	{Name: "gcc", Platforms: recipe.Platforms},
	{Name: "musl-gcc", Platforms: []recipe.Platform{recipe.AMD64}},
	{Name: "zig", Platforms: recipe.Platforms},
}

func names(m Matrix) []string {
	var out []string
	for _, s := range m.Include {
		out = append(out, s.Name+"="+s.Platforms+"|"+s.Toolchains)
	}
	return out
}

// Without a selection the plan has a shard per platform of all nine; a
// single shard of every platform is "all", the selection of a build that
// names none, and one of some platforms names them.
func TestPlanPerPlatform(t *testing.T) {
	m, err := Plan("", nil, toolchains)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"linux-amd64=linux/amd64|", "linux-arm64=linux/arm64|", "linux-arm-v7=linux/arm/v7|", "linux-riscv64=linux/riscv64|",
		"linux-386=linux/386|", "linux-arm-v6=linux/arm/v6|", "linux-ppc64le=linux/ppc64le|", "linux-s390x=linux/s390x|", "linux-mips64le=linux/mips64le|"}
	if got := names(m); !reflect.DeepEqual(got, want) {
		t.Errorf("default plan = %v, want %v", got, want)
	}
	m, _ = Plan(ByPlatform, []recipe.Platform{recipe.ARM64}, toolchains)
	if got := names(m); !reflect.DeepEqual(got, []string{"linux-arm64=linux/arm64|"}) {
		t.Errorf("plan of arm64 = %v", got)
	}
	for _, ps := range [][]recipe.Platform{nil, recipe.Platforms} {
		m, _ = Plan(Single, ps, toolchains)
		if got := names(m); !reflect.DeepEqual(got, []string{"all=|"}) {
			t.Errorf("single plan of %v = %v, want all", ps, got)
		}
	}
	m, _ = Plan(Single, recipe.CIPlatforms, toolchains)
	want = []string{"linux-amd64-linux-arm64-linux-arm-v7-linux-riscv64=linux/amd64,linux/arm64,linux/arm/v7,linux/riscv64|"}
	if got := names(m); !reflect.DeepEqual(got, want) {
		t.Errorf("single plan of CI's four = %v, want %v", got, want)
	}
}

// By toolchain, every (platform, toolchain) is in exactly one shard and
// no shard is made of not-applicable cells only: musl-gcc, which serves
// amd64 alone, rides with gcc elsewhere.
func TestPlanByToolchain(t *testing.T) {
	m, err := Plan(ByToolchain, []recipe.Platform{recipe.AMD64, recipe.ARM64}, append(toolchains, Toolchain{Name: "prebuilt"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"linux-amd64-gcc+prebuilt=linux/amd64|gcc,prebuilt",
		"linux-amd64-musl-gcc=linux/amd64|musl-gcc",
		"linux-amd64-zig=linux/amd64|zig",
		"linux-arm64-gcc+musl-gcc+prebuilt=linux/arm64|gcc,musl-gcc,prebuilt",
		"linux-arm64-zig=linux/arm64|zig",
	}
	if got := names(m); !reflect.DeepEqual(got, want) {
		t.Errorf("plan by toolchain =\n%v\nwant\n%v", got, want)
	}
}

func TestParseSplit(t *testing.T) {
	for in, want := range map[string]Split{"": ByPlatform, "platform": ByPlatform, " toolchain ": ByToolchain, "single": Single} {
		if got, err := ParseSplit(in); err != nil || got != want {
			t.Errorf("ParseSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseSplit("arch")
	if err == nil || !strings.Contains(err.Error(), `"arch"`) || !strings.Contains(err.Error(), "platform, toolchain, single") {
		t.Errorf("ParseSplit(arch) = %v, want an error naming the value and the choices", err)
	}
	if _, err := Plan("arch", nil, toolchains); err == nil {
		t.Error("Plan with an unknown split: want an error")
	}
}

func cell(rec, p, tc, l, status, digest string) Cell {
	return Cell{Recipe: rec, Platform: p, Toolchain: tc, Linkage: l, Status: status, Digest: digest}
}

func manifest(name string, cells ...Cell) *Manifest {
	return &Manifest{SchemaVersion: SchemaVersion, Name: name, Commit: "abc", Inputs: "sha256:in", Version: "1", SourceDateEpoch: 1, Cells: cells}
}

func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := manifest("linux-arm64", cell("hello", "linux/arm64", "gcc", "static", "built", "sha256:1"))
	m.Platforms = []string{"linux/arm64"}
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("read back %+v, wrote %+v", got, m)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	for _, field := range []string{`"schema_version": 1`, `"commit": "abc"`, `"inputs": "sha256:in"`, `"cells": [`, `"digest": "sha256:1"`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("shard.json lacks %s:\n%s", field, data)
		}
	}
}

func TestReadRefusals(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "out-linux-arm64")
	if _, err := Read(missing); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such directory") {
		t.Errorf("Read of a missing directory = %v", err)
	}
	empty := t.TempDir()
	if _, err := Read(empty); err == nil || !strings.Contains(err.Error(), "no shard.json") {
		t.Errorf("Read of a directory without shard.json = %v", err)
	}
	_, err := ReadSources([]string{missing, empty})
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), empty) {
		t.Errorf("ReadSources reports only some problems: %v", err)
	}
}

func TestInputsDigest(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("recipes/hello/main.c", "int main(){}")
	write("toolchains/gcc.toml", "name='gcc'")
	write("README.md", "not an input")
	a, err := InputsDigest(root)
	if err != nil || !strings.HasPrefix(a, "sha256:") {
		t.Fatalf("InputsDigest = %q, %v", a, err)
	}
	write("README.md", "changed")
	if b, _ := InputsDigest(root); b != a {
		t.Error("a file outside recipes/ and toolchains/ changed the digest")
	}
	write("recipes/hello/main.c", "int main(){return 1;}")
	if b, _ := InputsDigest(root); b == a {
		t.Error("a recipe change left the digest unchanged")
	}
	// A named pipe is refused, named, instead of blocking the read.
	if err := syscall.Mkfifo(filepath.Join(root, "recipes", "hello", "pipe.h"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := InputsDigest(root); err == nil || !strings.Contains(err.Error(), filepath.Join("recipes", "hello", "pipe.h")+" is not a regular file") {
		t.Errorf("InputsDigest with a named pipe: %v", err)
	}
}

func src(dir string, m *Manifest) Source { return Source{Dir: dir, Manifest: m} }

func TestAssign(t *testing.T) {
	amd := src("s/amd", manifest("linux-amd64", cell("hello", "linux/amd64", "gcc", "static", "built", "sha256:a")))
	arm := src("s/arm", manifest("linux-arm64",
		cell("hello", "linux/arm64", "gcc", "static", "built", "sha256:b"),
		cell("hello", "linux/arm64", "musl-gcc", "static", "not-applicable", "")))
	all := []string{"hello linux/amd64 gcc-static", "hello linux/arm64 gcc-static", "hello linux/arm64 musl-gcc-static"}
	owned, err := Assign([]Source{arm, amd}, Want{Cells: all, Inputs: "sha256:in"})
	if err != nil {
		t.Fatal(err)
	}
	if len(owned) != 3 || owned[0].Cell.String() != all[0] || owned[0].Source.Dir != "s/amd" || owned[1].Source.Dir != "s/arm" {
		t.Errorf("Assign = %+v", owned)
	}

	t.Run("same cell with the same digest twice is fine", func(t *testing.T) {
		again := src("s/full", manifest("all", cell("hello", "linux/amd64", "gcc", "static", "built", "sha256:a")))
		if _, err := Assign([]Source{amd, arm, again}, Want{Cells: all}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("same cell with different digests", func(t *testing.T) {
		other := src("s/other", manifest("linux-amd64-gcc", cell("hello", "linux/amd64", "gcc", "static", "built", "sha256:X")))
		_, err := Assign([]Source{amd, arm, other}, Want{Cells: all})
		for _, s := range []string{"hello linux/amd64 gcc-static", "sha256:a", "sha256:X", "linux-amd64 (s/amd)", "linux-amd64-gcc (s/other)", "reproducibility"} {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("error %v does not name %q", err, s)
			}
		}
	})
	t.Run("different commits", func(t *testing.T) {
		m := manifest("linux-arm64", arm.Manifest.Cells...)
		m.Commit = "def"
		_, err := Assign([]Source{amd, src("s/arm", m)}, Want{Cells: all})
		if err == nil || !strings.Contains(err.Error(), "commit") || !strings.Contains(err.Error(), `"def"`) || !strings.Contains(err.Error(), "linux-arm64 (s/arm)") {
			t.Errorf("shards of two commits: %v", err)
		}
	})
	t.Run("different inputs than the checkout", func(t *testing.T) {
		_, err := Assign([]Source{amd, arm}, Want{Cells: all, Inputs: "sha256:other"})
		if err == nil || !strings.Contains(err.Error(), "this checkout") {
			t.Errorf("shards of other recipes: %v", err)
		}
	})
	t.Run("missing cells", func(t *testing.T) {
		_, err := Assign([]Source{amd}, Want{Cells: all})
		if err == nil || !strings.Contains(err.Error(), "2 cell(s) unaccounted for") || !strings.Contains(err.Error(), "hello linux/arm64 musl-gcc-static") {
			t.Errorf("a missing shard: %v", err)
		}
		owned, err := Assign([]Source{amd}, Want{Cells: all, Partial: true})
		if err != nil || len(owned) != 1 {
			t.Errorf("partial merge = %v, %v", owned, err)
		}
	})
	t.Run("a shard given twice", func(t *testing.T) {
		_, err := Assign([]Source{amd, arm, src("t/arm", arm.Manifest)}, Want{Cells: all})
		if err == nil || !strings.Contains(err.Error(), "linux-arm64 is given twice: s/arm and t/arm") {
			t.Errorf("a duplicated shard: %v", err)
		}
	})
	t.Run("cells this checkout does not have", func(t *testing.T) {
		_, err := Assign([]Source{amd, arm}, Want{Cells: all[:2], Partial: true})
		if err == nil || !strings.Contains(err.Error(), "hello linux/arm64 musl-gcc-static (shard linux-arm64)") {
			t.Errorf("a foreign cell: %v", err)
		}
	})
	t.Run("no shards", func(t *testing.T) {
		if _, err := Assign(nil, Want{}); err == nil {
			t.Error("no shards: want an error")
		}
	})
}
