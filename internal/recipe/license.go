package recipe

import (
	"fmt"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// ValidateLicense checks that expr is an SPDX licence expression
// (identifiers of the SPDX licence list, joined by AND, OR, WITH an
// exception, and parentheses), spelled as the list spells it. Deprecated
// identifiers (GPL-2.0, GPL-2.0+) are refused for their -only and
// -or-later forms, and LicenseRef- and DocumentRef- too: they would need
// the licence's text in the SBOM.
func ValidateLicense(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return fmt.Errorf("empty: give an SPDX licence expression such as MIT, Zlib or GPL-2.0-or-later")
	}
	norm, bad := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{expr}, spdxexp.ValidateLicensesOptions{
		FailDeprecatedLicenses: true, FailAllLicenseRefs: true, FailAllDocumentRefs: true,
	})
	if len(bad) > 0 || len(norm) != 1 {
		if strings.Contains(expr, "LicenseRef-") || strings.Contains(expr, "DocumentRef-") {
			return fmt.Errorf("%q: LicenseRef- and DocumentRef- need the licence's text; use identifiers of the SPDX licence list", expr)
		}
		return fmt.Errorf("%q is not an SPDX licence expression of current identifiers of the SPDX licence list (e.g. MIT, Zlib, GPL-2.0-or-later, (MIT OR Apache-2.0) AND BSD-3-Clause)", expr)
	}
	if norm[0] != expr {
		return fmt.Errorf("%q: write it as %q", expr, norm[0])
	}
	return nil
}
