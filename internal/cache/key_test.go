package cache

import (
	"testing"
)

// baseInputs returns a fresh, fully populated Inputs; every call builds new
// maps and slices so cases can mutate them.
func baseInputs() Inputs {
	return Inputs{
		Toolchain:        "gcc",
		ToolchainVersion: "12.2.0",
		ToolchainDigests: map[string]string{
			"cc": "1111111111111111111111111111111111111111111111111111111111111111",
			"ar": "2222222222222222222222222222222222222222222222222222222222222222",
		},
		Platform: "linux/amd64",
		Linkage:  "static",
		Libc:     "musl",
		Argv: [][]string{
			{"cc", "-O2", "-c", "@SRC@/hello.c", "-o", "@BUILD@/hello.o"},
			{"cc", "-static", "@BUILD@/hello.o", "-o", "@BUILD@/hello"},
		},
		Env: []string{"LC_ALL=C", "PATH=@TOOLCHAIN@/bin", "SOURCE_DATE_EPOCH=1704067200"},
		Files: map[string]string{
			"recipe.toml": "3333333333333333333333333333333333333333333333333333333333333333",
			"hello.c":     "4444444444444444444444444444444444444444444444444444444444444444",
		},
		Extra: map[string]string{"build_date": "1704067200", "schema": "1"},
	}
}

func TestKeyChangesWithEveryField(t *testing.T) {
	base := baseInputs().Key()
	tests := []struct {
		name   string
		mutate func(*Inputs)
	}{
		{"toolchain", func(in *Inputs) { in.Toolchain = "clang" }},
		{"toolchain version", func(in *Inputs) { in.ToolchainVersion = "12.2.1" }},
		{"toolchain digest", func(in *Inputs) { in.ToolchainDigests["cc"] = "5" + in.ToolchainDigests["cc"][1:] }},
		{"toolchain command", func(in *Inputs) { in.ToolchainDigests["strip"] = in.ToolchainDigests["ar"] }},
		{"platform", func(in *Inputs) { in.Platform = "linux/arm64" }},
		{"linkage", func(in *Inputs) { in.Linkage = "dynamic" }},
		{"libc", func(in *Inputs) { in.Libc = "glibc" }},
		{"argv element", func(in *Inputs) { in.Argv[0][1] = "-Os" }},
		{"argv extra element", func(in *Inputs) { in.Argv[1] = append(in.Argv[1], "-s") }},
		{"argv command split", func(in *Inputs) {
			in.Argv = [][]string{append(append([]string{}, in.Argv[0]...), in.Argv[1]...)}
		}},
		{"argv order", func(in *Inputs) { in.Argv[0], in.Argv[1] = in.Argv[1], in.Argv[0] }},
		{"env entry", func(in *Inputs) { in.Env[0] = "LC_ALL=C.UTF-8" }},
		{"env added", func(in *Inputs) { in.Env = append(in.Env, "CFLAGS=") }},
		{"file digest", func(in *Inputs) { in.Files["hello.c"] = "6" + in.Files["hello.c"][1:] }},
		{"file added", func(in *Inputs) { in.Files["hello.h"] = in.Files["hello.c"] }},
		{"file renamed", func(in *Inputs) {
			in.Files["main.c"] = in.Files["hello.c"]
			delete(in.Files, "hello.c")
		}},
		{"extra value", func(in *Inputs) { in.Extra["build_date"] = "0" }},
		{"extra added", func(in *Inputs) { in.Extra["strip"] = "true" }},
		{"value moved between fields", func(in *Inputs) {
			in.Libc, in.Linkage = in.Linkage, in.Libc
		}},
		{"key moved between maps", func(in *Inputs) {
			in.Extra["hello.c"] = in.Files["hello.c"]
			delete(in.Files, "hello.c")
		}},
	}
	seen := map[Key]string{base: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInputs()
			tt.mutate(&in)
			k := in.Key()
			if k == base {
				t.Fatalf("key did not change: %s", k)
			}
			if other, ok := seen[k]; ok {
				t.Fatalf("key equals the key of %q", other)
			}
			seen[k] = tt.name
		})
	}
}

func TestKeyLengthPrefixed(t *testing.T) {
	pairs := []struct {
		name string
		a, b func(*Inputs)
	}{
		{"argv", func(in *Inputs) { in.Argv = [][]string{{"ab", "c"}} }, func(in *Inputs) { in.Argv = [][]string{{"a", "bc"}} }},
		{"argv commands", func(in *Inputs) { in.Argv = [][]string{{"a", "b"}, {"c"}} }, func(in *Inputs) { in.Argv = [][]string{{"a"}, {"b", "c"}} }},
		{"env", func(in *Inputs) { in.Env = []string{"A=1B=2"} }, func(in *Inputs) { in.Env = []string{"A=1", "B=2"} }},
		{"map key and value", func(in *Inputs) { in.Extra = map[string]string{"ab": "c"} }, func(in *Inputs) { in.Extra = map[string]string{"a": "bc"} }},
		{"empty string vs none", func(in *Inputs) { in.Env = []string{""} }, func(in *Inputs) { in.Env = nil }},
		{"toolchain and version", func(in *Inputs) { in.Toolchain, in.ToolchainVersion = "gcc1", "2" }, func(in *Inputs) { in.Toolchain, in.ToolchainVersion = "gcc", "12" }},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, b := baseInputs(), baseInputs()
			p.a(&a)
			p.b(&b)
			if a.Key() == b.Key() {
				t.Fatalf("%+v and %+v have the same key", a, b)
			}
		})
	}
}

func TestKeyStable(t *testing.T) {
	t.Run("same inputs built twice", func(t *testing.T) {
		if a, b := baseInputs().Key(), baseInputs().Key(); a != b {
			t.Fatalf("keys differ: %s and %s", a, b)
		}
	})
	t.Run("map insertion order", func(t *testing.T) {
		in := baseInputs()
		in.Files = map[string]string{}
		in.Extra = map[string]string{}
		in.ToolchainDigests = map[string]string{}
		// Insert in the reverse of the sorted order, many keys so Go's map
		// randomisation has room to show.
		for i := 25; i >= 0; i-- {
			name := string(rune('a'+i)) + ".c"
			in.Files[name] = name
			in.Extra[name] = name
			in.ToolchainDigests[name] = name
		}
		want := in.Key()
		for range 20 {
			other := baseInputs()
			other.Files, other.Extra, other.ToolchainDigests = map[string]string{}, map[string]string{}, map[string]string{}
			for i := range 26 {
				name := string(rune('a'+i)) + ".c"
				other.Files[name] = name
				other.Extra[name] = name
				other.ToolchainDigests[name] = name
			}
			if got := other.Key(); got != want {
				t.Fatalf("key depends on insertion order: %s and %s", got, want)
			}
		}
	})
	t.Run("nil and empty maps", func(t *testing.T) {
		a, b := baseInputs(), baseInputs()
		a.Extra, b.Extra = nil, map[string]string{}
		if a.Key() != b.Key() {
			t.Fatal("a nil map and an empty map give different keys")
		}
	})
}

// TestKeyPinned catches any change of the canonical form. The values were
// computed once and checked against a separate implementation of the
// encoding described in the package documentation. If a change is
// intended, bump keyDomain and pin the new values.
func TestKeyPinned(t *testing.T) {
	tests := []struct {
		name string
		in   Inputs
		want string
	}{
		{"zero", Inputs{}, "e3994acceefceb2c138a6dd56e7862815389f6f48c426f90e1e8027e01aa4f4a"},
		{"base", baseInputs(), "877ee9b9225e1e756c45a8a106eb881f541fe2968886e9deb539e53d078de08f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Key().String(); got != tt.want {
				t.Errorf("Key() = %s, want %s", got, tt.want)
			}
		})
	}
}
