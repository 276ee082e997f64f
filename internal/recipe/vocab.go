// Package recipe is the shared vocabulary of fromscratch: platforms,
// linkages, recipes and the cells of the build matrix. It loads and
// validates recipes/<name>/recipe.toml and imports no other project package.
package recipe

import (
	"errors"
	"fmt"
	"strings"
)

// Platform is an OCI platform string such as "linux/arm/v7".
type Platform string

// The platforms fromscratch builds for, in matrix order.
const (
	AMD64    Platform = "linux/amd64"
	ARM64    Platform = "linux/arm64"
	ARMv7    Platform = "linux/arm/v7"
	RISCV64  Platform = "linux/riscv64"
	I386     Platform = "linux/386"
	ARMv6    Platform = "linux/arm/v6"
	PPC64LE  Platform = "linux/ppc64le"
	S390X    Platform = "linux/s390x"
	MIPS64LE Platform = "linux/mips64le"
)

// Platforms lists every supported platform in matrix order: the rows of
// the platform table (platform.go). A run that selects no platform builds
// all of them, as FROMSCRATCH_PLATFORMS=all (AllPlatformsWord) does.
var Platforms = platformsOf(platformTable)

// CIPlatforms are the four platforms CI's whole-matrix tests build
// (TestBuildAll, TestWorkflowRunsLocally): they name them rather than
// take the default, every platform, so that the other five (each with
// its own builds, zig's libc among them: minutes per target on a cold
// cache) do not push CI past its 45 minutes. setup for the tests installs
// the host's cross gccs of these only: the host way's tests build no
// other. Not a default: a run that names no platform builds Platforms.
var CIPlatforms = []Platform{AMD64, ARM64, ARMv7, RISCV64}

// AllPlatformsWord selects every platform where a list of platforms is
// read (FROMSCRATCH_PLATFORMS=all, --platform all): since a run that
// selects none builds every platform too, it says so explicitly.
const AllPlatformsWord = "all"

// ParsePlatform accepts "linux/arm/v7" and the path form "linux-arm-v7", and
// the short architecture names "amd64", "arm64", "arm/v7", "riscv64",
// "386", "arm/v6", "ppc64le", "s390x", "mips64le".
func ParsePlatform(s string) (Platform, error) {
	norm := strings.ReplaceAll(s, "-", "/")
	if !strings.HasPrefix(norm, "linux/") {
		norm = "linux/" + norm
	}
	for _, p := range Platforms {
		if string(p) == norm {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown platform %q (allowed: %s)", s, PlatformList())
}

// ParsePlatforms reads a list of platforms (ParsePlatform's spellings);
// the list ["all"] (AllPlatformsWord) is every platform.
func ParsePlatforms(list []string) ([]Platform, error) {
	if len(list) == 1 && strings.TrimSpace(list[0]) == AllPlatformsWord {
		return append([]Platform(nil), Platforms...), nil
	}
	var out []Platform
	var errs []error
	for _, s := range list {
		p, err := ParsePlatform(s)
		if err != nil {
			if s == AllPlatformsWord {
				err = fmt.Errorf("%q selects every platform and stands alone, not among %v", s, list)
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// PlatformList is the allowed platforms joined for error messages.
func PlatformList() string {
	s := make([]string, len(Platforms))
	for i, p := range Platforms {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// Dir is the platform as one path element: "linux-arm-v7".
func (p Platform) Dir() string { return strings.ReplaceAll(string(p), "/", "-") }

// Arch is the short architecture with variant: "amd64", "arm-v7".
func (p Platform) Arch() string { return strings.TrimPrefix(p.Dir(), "linux-") }

// Index is the position of p in Platforms, for sorting; -1 if unknown.
func (p Platform) Index() int {
	for i, q := range Platforms {
		if q == p {
			return i
		}
	}
	return -1
}

// Linkage is how a binary gets its C library.
type Linkage string

const (
	Static  Linkage = "static"
	Dynamic Linkage = "dynamic"
)

// Linkages lists both linkages in matrix order.
var Linkages = []Linkage{Static, Dynamic}

// ParseLinkage validates a linkage name.
func ParseLinkage(s string) (Linkage, error) {
	switch Linkage(s) {
	case Static, Dynamic:
		return Linkage(s), nil
	}
	return "", fmt.Errorf("unknown linkage %q (allowed: static, dynamic)", s)
}

// Language is the source language of a recipe.
type Language string

const (
	C   Language = "c"
	CXX Language = "c++"
)

// Cell is one point of the build matrix.
type Cell struct {
	Recipe    string
	Platform  Platform
	Toolchain string
	Linkage   Linkage
}

// Variant is "<toolchain>-<linkage>", the name of a column of the matrix
// and of an image index in a recipe's OCI layout.
func (c Cell) Variant() string { return c.Toolchain + "-" + string(c.Linkage) }

// String is a stable human name: "hello linux/arm64 gcc-static".
func (c Cell) String() string {
	return c.Recipe + " " + string(c.Platform) + " " + c.Variant()
}

// Less orders cells by recipe, platform, toolchain, linkage.
func (c Cell) Less(d Cell) bool {
	if c.Recipe != d.Recipe {
		return c.Recipe < d.Recipe
	}
	if c.Platform != d.Platform {
		return c.Platform.Index() < d.Platform.Index()
	}
	if c.Toolchain != d.Toolchain {
		return c.Toolchain < d.Toolchain
	}
	return c.Linkage < d.Linkage // "dynamic" < "static"
}

// Tag is the docker reference of the cell's archive:
// <recipe>:<toolchain>-<linkage>-<arch>, e.g. hello:gcc-dynamic-arm-v7.
func (c Cell) Tag() string { return c.Recipe + ":" + c.Variant() + "-" + c.Platform.Arch() }

// Stem names the cell's files (its docker archive and SBOM, see
// outdir.Path): <recipe>_<toolchain>-<linkage>_<arch>.
func (c Cell) Stem() string { return c.Recipe + "_" + c.Variant() + "_" + c.Platform.Arch() }

// SBOMName is the SPDX document name of the cell's image:
// <recipe>-<toolchain>-<linkage>-linux-<arch>.
func (c Cell) SBOMName() string { return c.Recipe + "-" + c.Variant() + "-" + c.Platform.Dir() }

// SmokeStatus is the outcome of running an image once: the one type for
// it, used by smoke (which decides it) and matrix (which records it).
type SmokeStatus string

const (
	SmokePass    SmokeStatus = "pass"
	SmokeFail    SmokeStatus = "fail"
	SmokeSkipped SmokeStatus = "skipped" // no engine or no binfmt handler here: never a pass
)
