package bench

import (
	"slices"
	"testing"
)

// compareCompileResults reads the cache variables of two config.logs and
// compares only the compile results both hold.
func TestCompareCompileResults(t *testing.T) {
	log := func(name, vars string) []byte {
		return []byte("## ---------------- ##\n## Cache variables. ##\n## ---------------- ##\n\n" + vars +
			"\n## ----------------- ##\n## Output variables. ##\n## ----------------- ##\n\nac_cv_sizeof_int=2\n")
	}
	a := log("a", "ac_cv_func_strdup=yes\nac_cv_header_stdlib_h=yes\nac_cv_sizeof_long=8\nac_cv_type_size_t=yes")
	b := log("b", "ac_cv_func_strdup=no\nac_cv_header_stdlib_h=yes\nac_cv_sizeof_long=4\nac_cv_c_inline=inline")
	n, differ := compareCompileResults(a, b)
	if n != 2 || !slices.Equal(differ, []string{"ac_cv_sizeof_long"}) {
		t.Errorf("compared %d, differ %v; want 2 and [ac_cv_sizeof_long]", n, differ)
	}
}
