package release

import (
	"bytes"
	"fmt"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// CheckSBOM reads an image's SBOM as SBOM writes it and checks that it is
// an SPDX 2.3 document that describes a CONTAINER package whose version is
// imageDigest (sha256:<hex>).
func CheckSBOM(doc []byte, imageDigest string) error {
	var d spdx.Document
	if err := spdxjson.ReadInto(bytes.NewReader(doc), &d); err != nil {
		return fmt.Errorf("reading the SBOM as SPDX JSON: %w", err)
	}
	if d.SPDXVersion != spdx.Version {
		return fmt.Errorf("SBOM %q is %q, want %q", d.DocumentName, d.SPDXVersion, spdx.Version)
	}
	described := map[common.ElementID]bool{}
	for _, r := range d.Relationships {
		if r.Relationship == relDescribes && r.RefA.ElementRefID == docID {
			described[r.RefB.ElementRefID] = true
		}
	}
	for _, p := range d.Packages {
		if described[p.PackageSPDXIdentifier] && p.PrimaryPackagePurpose == "CONTAINER" && p.PackageVersion == imageDigest {
			return nil
		}
	}
	return fmt.Errorf("SBOM %q describes no CONTAINER package of version %s", d.DocumentName, imageDigest)
}
