package recipe

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest recipe name, in bytes. A name goes into an
// image repository name, the file names <recipe>_<toolchain>-<linkage>_<arch>.tar,
// the program's path /<name> in a layer (a USTAR header holds 100 bytes
// for a name without '/'), and SPDX names; 64 leaves room in all of them.
const MaxNameLen = 64

// NameRule is what ValidName allows, for error messages.
const NameRule = "lower-case letters and digits, separated by one '.', one or two '_', or one or more '-'; " +
	"starting and ending with a letter or digit; at most 64 bytes"

// ValidName checks a recipe name (a folder under recipes/) against the one
// rule that fits every place the name goes. The rule is a component of a
// docker image reference ([a-z0-9]+ separated by '.', '_', '__' or runs of
// '-'), at most MaxNameLen bytes; such a name is also a valid file name and
// an ASCII path element that fits a USTAR header.
func ValidName(s string) error {
	if why := nameProblem(s); why != "" {
		return fmt.Errorf("recipe name %q is not allowed: %s (allowed: %s)", s, why, NameRule)
	}
	return nil
}

// nameProblem says what is wrong with s as a name, "" if nothing.
func nameProblem(s string) string {
	if s == "" {
		return "it is empty"
	}
	if len(s) > MaxNameLen {
		return fmt.Sprintf("it is %d bytes long", len(s))
	}
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			return fmt.Sprintf("it has the upper-case letter %q", r)
		}
		if r > 0x7f || !isAlnum(byte(r)) && !isSep(byte(r)) {
			return fmt.Sprintf("it has %q at byte %d", r, i)
		}
	}
	if !isAlnum(s[0]) {
		return fmt.Sprintf("it starts with %q", s[:1])
	}
	if !isAlnum(s[len(s)-1]) {
		return fmt.Sprintf("it ends with %q", s[len(s)-1:])
	}
	for _, run := range nonAlnumRuns(s) {
		if !validSep(run) {
			return fmt.Sprintf("it has the separator %q", run)
		}
	}
	return ""
}

// ImageName maps a file's base name, such as "Hello World" or "g++", to a
// name that ValidName accepts ("hello-world", "g"), for programs packed
// without a recipe. Letters are lower-cased; a run of other bytes that is
// not a separator the rule allows ('.', '_', '__', '-'...) becomes one
// '-'; separators at either end are dropped, and the result is cut to
// MaxNameLen bytes. A valid name maps to itself, the same base always
// gives the same name, and different bases can give the same one ("g++"
// and "g" both give "g"). It is an error when no letter or digit remains.
func ImageName(base string) (string, error) {
	lower := make([]byte, len(base))
	for i := 0; i < len(base); i++ {
		c := base[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	s := string(lower)
	var b strings.Builder
	for i := 0; i < len(s); {
		if isAlnum(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		run := nonAlnumRun(s[i:])
		if validSep(run) {
			b.WriteString(run)
		} else {
			b.WriteByte('-')
		}
		i += len(run)
	}
	name := trimSeps(b.String())
	if len(name) > MaxNameLen {
		name = trimSeps(name[:MaxNameLen])
	}
	if name == "" {
		return "", fmt.Errorf("making an image name from %q: it has no letter or digit (allowed: %s)", base, NameRule)
	}
	if err := ValidName(name); err != nil { // cannot happen; a guard against a change above
		return "", fmt.Errorf("making an image name from %q: %w", base, err)
	}
	return name, nil
}

func trimSeps(s string) string { return strings.Trim(s, "._-") }

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isSep(c byte) bool { return c == '.' || c == '_' || c == '-' }

// validSep reports whether a run of separators is one the reference
// grammar allows between two alphanumeric parts: ".", "_", "__" or "-"+.
func validSep(run string) bool {
	return run == "." || run == "_" || run == "__" || run != "" && strings.Trim(run, "-") == ""
}

// nonAlnumRun is the run of bytes outside [a-z0-9] that s starts with.
func nonAlnumRun(s string) string {
	i := 0
	for i < len(s) && !isAlnum(s[i]) {
		i++
	}
	return s[:i]
}

// nonAlnumRuns lists the maximal runs of bytes outside [a-z0-9] in s.
func nonAlnumRuns(s string) []string {
	var runs []string
	for i := 0; i < len(s); {
		if isAlnum(s[i]) {
			i++
			continue
		}
		run := nonAlnumRun(s[i:])
		runs = append(runs, run)
		i += len(run)
	}
	return runs
}
