package recipe

import (
	"strings"
	"testing"
)

func TestValidateLicense(t *testing.T) {
	for _, ok := range []string{"MIT", "GPL-2.0-or-later", "MIT AND Zlib", "(MIT OR Apache-2.0) AND BSD-3-Clause", "GPL-3.0-or-later WITH GCC-exception-3.1"} {
		if err := ValidateLicense(ok); err != nil {
			t.Errorf("ValidateLicense(%q): %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"": "empty", "GPL-2+": "not an SPDX licence expression", "GPL-2.0": "not an SPDX", "MIT AND": "not an SPDX",
		"(MIT": "not an SPDX", "MIT Zlib": "not an SPDX", "LicenseRef-mine": "LicenseRef-", "MIT WITH Nonsense": "not an SPDX",
		"MIT; rm": "not an SPDX", "mit": `write it as "MIT"`,
	} {
		if err := ValidateLicense(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateLicense(%q) = %v, want an error with %q", bad, err, want)
		}
	}
}
