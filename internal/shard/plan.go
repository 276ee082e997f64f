// Package shard splits the matrix of cells across machines and puts it
// back together: the plan (which shard builds which platforms and
// toolchains), the manifest each shard's output carries (shard.json), and
// the rules a merge of shard outputs follows. It works on plain data;
// reading images and writing the merged out/ is the caller's.
package shard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Split says how finely a plan cuts the matrix (FROMSCRATCH_SHARDS).
type Split string

// The splits a plan knows.
const (
	ByPlatform  Split = "platform"  // one shard per platform (the default)
	ByToolchain Split = "toolchain" // one shard per platform and toolchain
	Single      Split = "single"    // one shard for everything
)

// Splits lists the known splits, for errors and documentation.
var Splits = []Split{ByPlatform, ByToolchain, Single}

// ParseSplit reads a FROMSCRATCH_SHARDS value; empty is ByPlatform.
func ParseSplit(s string) (Split, error) {
	switch v := Split(strings.TrimSpace(s)); v {
	case "":
		return ByPlatform, nil
	case ByPlatform, ByToolchain, Single:
		return v, nil
	}
	return "", fmt.Errorf("unknown split %q: want one of %s", s, joinSplits())
}

func joinSplits() string {
	var s []string
	for _, v := range Splits {
		s = append(s, string(v))
	}
	return strings.Join(s, ", ")
}

// Toolchain is what a plan needs to know of a toolchain: its name and the
// platforms it has a target for. A toolchain without platforms (such as
// "prebuilt") rides along with another shard of each platform.
type Toolchain struct {
	Name      string
	Platforms []recipe.Platform
}

// Shard is one entry of the plan: what one machine builds. Its fields are
// the values of FROMSCRATCH_PLATFORMS and FROMSCRATCH_TOOLCHAINS
// (comma-separated; empty toolchains = all).
type Shard struct {
	Name       string `json:"name"`
	Platforms  string `json:"platforms"`
	Toolchains string `json:"toolchains"`
}

// Matrix is the plan as GitHub Actions reads it in
// `strategy.matrix: ${{ fromJSON(...) }}`.
type Matrix struct {
	Include []Shard `json:"include"`
}

// Name is the shard name of a selection: "linux-arm64", "linux-arm64-gcc",
// "linux-amd64-gcc+prebuilt"; "all" when nothing is selected. The plan and
// the manifest of a build both use it, so they agree.
func Name(platforms []recipe.Platform, toolchains []string) string {
	var parts []string
	for _, p := range platforms {
		parts = append(parts, p.Dir())
	}
	if len(toolchains) > 0 {
		parts = append(parts, strings.Join(toolchains, "+"))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, "-")
}

// Plan cuts the matrix of platforms (all of recipe.Platforms when empty)
// into shards. With ByToolchain, each platform gets one shard per
// toolchain that has a target there; the toolchains without one (their
// cells are all not-applicable, or prebuilt) join the platform's first
// shard, so every cell belongs to exactly one shard and no shard is empty.
func Plan(split Split, platforms []recipe.Platform, toolchains []Toolchain) (Matrix, error) {
	if len(platforms) == 0 {
		platforms = recipe.Platforms
	}
	var m Matrix
	switch split {
	case "", ByPlatform:
		for _, p := range platforms {
			m.Include = append(m.Include, entry([]recipe.Platform{p}, nil))
		}
	case Single:
		if slices.Equal(platforms, recipe.Platforms) {
			platforms = nil // "all": the same selection as a build without FROMSCRATCH_PLATFORMS
		}
		m.Include = append(m.Include, entry(platforms, nil))
	case ByToolchain:
		if len(toolchains) == 0 {
			return Matrix{}, fmt.Errorf("planning by toolchain: no toolchains")
		}
		for _, p := range platforms {
			var served, riders []string
			for _, t := range toolchains {
				if slices.Contains(t.Platforms, p) {
					served = append(served, t.Name)
				} else {
					riders = append(riders, t.Name)
				}
			}
			if len(served) == 0 {
				m.Include = append(m.Include, entry([]recipe.Platform{p}, nil))
				continue
			}
			for i, name := range served {
				ts := []string{name}
				if i == 0 {
					ts = append(ts, riders...)
				}
				m.Include = append(m.Include, entry([]recipe.Platform{p}, ts))
			}
		}
	default:
		return Matrix{}, fmt.Errorf("unknown split %q: want one of %s", split, joinSplits())
	}
	return m, nil
}

func entry(platforms []recipe.Platform, toolchains []string) Shard {
	ps := make([]string, len(platforms))
	for i, p := range platforms {
		ps[i] = string(p)
	}
	return Shard{Name: Name(platforms, toolchains), Platforms: strings.Join(ps, ","), Toolchains: strings.Join(toolchains, ",")}
}
