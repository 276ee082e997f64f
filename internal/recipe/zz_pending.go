package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// ImageName maps a file's base name to a valid image repository name.
func ImageName(base string) (string, error) {
	s := strings.ToLower(base)
	s = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if s == "" {
		return "", fmt.Errorf("%q has no letters or digits to name an image", base)
	}
	return s, nil
}

// CheckToolchains checks that every [[exclude]] names a known toolchain.
func (r *Recipe) CheckToolchains(known []string) error {
	for i, e := range r.Exclude {
		if e.Toolchain == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == e.Toolchain
		}
		if !ok {
			return fmt.Errorf("%s: field exclude[%d].toolchain: unknown toolchain %q (allowed: %s)", r.Dir+"/"+FileName, i, e.Toolchain, strings.Join(known, ", "))
		}
	}
	return nil
}
