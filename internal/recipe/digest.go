package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// SHA256 is a sha256 digest, parsed once where it is read (a recipe's
// source.sha256 when the recipe loads). The zero value is no digest.
type SHA256 struct{ hex string }

// Pin is a file's SHA256 as source.files pins it: always written
// "sha256:<64 hex>".
type Pin struct{ SHA256 }

// pinRule is what a pin may be, ending every error about one.
const pinRule = `(allowed: "sha256:" and 64 lower-case hex digits)`

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseSHA256 accepts a digest as "sha256:<64 hex>" or "<64 hex>".
func ParseSHA256(s string) (SHA256, error) {
	h := strings.TrimPrefix(s, "sha256:")
	if !sha256RE.MatchString(h) {
		return SHA256{}, fmt.Errorf("%q is not a sha256 digest %s", s, pinRule)
	}
	return SHA256{h}, nil
}

// ParsePin accepts a pin as "sha256:<64 hex>" only.
func ParsePin(s string) (Pin, error) {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || !sha256RE.MatchString(h) {
		return Pin{}, fmt.Errorf("%q is not a pin %s", s, pinRule)
	}
	return Pin{SHA256{h}}, nil
}

// Hex is the digest's 64 lower-case hex digits ("" for the zero value).
func (d SHA256) Hex() string { return d.hex }

// IsZero reports whether d is no digest.
func (d SHA256) IsZero() bool { return d.hex == "" }

// String is "sha256:<hex>", or "" for the zero value.
func (d SHA256) String() string {
	if d.IsZero() {
		return ""
	}
	return "sha256:" + d.hex
}

// MarshalText writes String.
func (d SHA256) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text with ParseSHA256; "" is the zero value (no
// digest), which validation reports where one is needed.
func (d *SHA256) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*d = SHA256{}
		return nil
	}
	v, err := ParseSHA256(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalText parses text with ParsePin.
func (p *Pin) UnmarshalText(text []byte) error {
	v, err := ParsePin(string(text))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
