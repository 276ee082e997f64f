package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"slices"
)

// keyDomain starts every key's canonical form. Change it whenever the
// encoding below changes, so old and new keys can never be confused.
const keyDomain = "fromscratch/cache.Inputs/v1"

// Key is the sha256 of a cell's canonical inputs.
type Key [32]byte

// String returns the key in lower-case hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Inputs are everything that can change a cell's output. Paths of the
// build directory must not be part of it: the caller replaces them with
// placeholders.
type Inputs struct {
	Toolchain        string // name
	ToolchainVersion string
	// ToolchainDigests maps a command name to the sha256 of the resolved
	// binary (compiler, ar), as FileDigest returns it.
	ToolchainDigests map[string]string
	Platform         string
	Linkage          string
	Libc             string
	// Argv are the compile and link commands, build-directory paths
	// replaced by placeholders. Order matters.
	Argv [][]string
	// Env is the compiler's environment, paths replaced by placeholders.
	// Order matters.
	Env []string
	// Files maps a recipe-relative path to the sha256 of its content:
	// recipe.toml, every source, header and include-directory file.
	Files map[string]string
	// Extra holds anything else, e.g. "build_date" or "schema".
	Extra map[string]string
}

// Key returns the sha256 of the canonical form of in. It is stable across
// runs and machines; see the package documentation for the encoding.
func (in Inputs) Key() Key {
	e := encoder{h: sha256.New()}
	e.str(keyDomain)
	e.str("toolchain")
	e.str(in.Toolchain)
	e.str("toolchain_version")
	e.str(in.ToolchainVersion)
	e.str("toolchain_digests")
	e.dict(in.ToolchainDigests)
	e.str("platform")
	e.str(in.Platform)
	e.str("linkage")
	e.str(in.Linkage)
	e.str("libc")
	e.str(in.Libc)
	e.str("argv")
	e.uint(uint64(len(in.Argv)))
	for _, cmd := range in.Argv {
		e.strs(cmd)
	}
	e.str("env")
	e.strs(in.Env)
	e.str("files")
	e.dict(in.Files)
	e.str("extra")
	e.dict(in.Extra)
	var k Key
	e.h.Sum(k[:0])
	return k
}

// encoder writes length-prefixed values to a hash. Writes to a hash.Hash
// never fail.
type encoder struct{ h hash.Hash }

func (e encoder) uint(n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	e.h.Write(b[:])
}

func (e encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.h.Write([]byte(s))
}

func (e encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e encoder) dict(m map[string]string) {
	e.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.str(k)
		e.str(m[k])
	}
}
