package pipeline

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// Two runs at once with one action cache and their own out/ build each
// cell once: one compiles it, the other waits for its claim and restores
// the result (before claims, both compiled every cell).
func TestTwoRunsBuildEachCellOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles")
	}
	cache := filepath.Join(t.TempDir(), "cache")
	if err := testutil.LinkProvisioned(testutil.CacheDir(t), cache); err != nil {
		t.Fatal(err)
	}
	var reps [2]*Report
	var errs [2]error
	var wg sync.WaitGroup
	for i := range reps {
		opts := testOptions(t, repoRoot(t))
		opts.CacheDir, opts.Smoke = cache, false
		opts.Recipes, opts.Platforms, opts.Toolchains = []string{"hello", "multifile"}, []recipe.Platform{recipe.AMD64}, []string{"gcc"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = New(opts).Build(t.Context())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	cells := 0
	for key, r := range reps[0].Results {
		other := reps[1].Results[key]
		if other == nil {
			t.Fatalf("%s is in one run only", key)
		}
		got := map[Origin]int{r.Origin: 1}
		got[other.Origin]++
		if got[OriginCompiled] != 1 || got[OriginRestored] != 1 {
			t.Errorf("%s: %s and %s, want one compiled and one restored", key, r.Origin, other.Origin)
		}
		if r.BinarySHA256 != other.BinarySHA256 {
			t.Errorf("%s: the two runs' binaries differ", key)
		}
		cells++
	}
	if cells != 4 {
		t.Errorf("%d cells, want hello and multifile, static and dynamic", cells)
	}
}
