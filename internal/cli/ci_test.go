package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/shard"
)

// ci:plan prints one JSON line a workflow's strategy.matrix reads: one
// shard per platform by default (all nine without FROMSCRATCH_PLATFORMS),
// per platform and toolchain on request, within FROMSCRATCH_PLATFORMS and
// FROMSCRATCH_TOOLCHAINS.
func TestPlanVerb(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want []string // name=platforms|toolchains
	}{
		{nil, []string{"linux-amd64=linux/amd64|", "linux-arm64=linux/arm64|", "linux-arm-v7=linux/arm/v7|", "linux-riscv64=linux/riscv64|",
			"linux-386=linux/386|", "linux-arm-v6=linux/arm/v6|", "linux-ppc64le=linux/ppc64le|", "linux-s390x=linux/s390x|", "linux-mips64le=linux/mips64le|"}},
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
