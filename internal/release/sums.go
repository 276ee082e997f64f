package release

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/digest"
)

// SumsFile is the name of the checksum file at the root of a release tree.
const SumsFile = "SHA256SUMS"

// SumsSignatureFile is SumsFile's detached signature beside it (when the
// release is signed); SumsFile does not list it.
const SumsSignatureFile = SumsFile + ".sig"

// WriteSHA256SUMS writes root/SHA256SUMS: one line "<hex>  <path>\n" per
// regular file under root (paths relative to root, slash-separated, sorted
// by byte order), except SHA256SUMS itself and its signature. Symlinks and other non-regular
// files are an error. The file is written to a temporary file in root and
// renamed into place, with mode 0644 whatever the umask.
func WriteSHA256SUMS(root string) error {
	sums, err := hashTree(root)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(root, SumsFile), formatSums(sums), 0o644)
}

// VerifyError lists how a tree differs from its SHA256SUMS. Each list is
// sorted.
type VerifyError struct {
	Mismatched []string // listed, present, different content
	Missing    []string // listed, absent
	Extra      []string // present, not listed
}

func (e *VerifyError) Error() string {
	var parts []string
	for _, p := range []struct {
		what  string
		paths []string
	}{{"mismatched", e.Mismatched}, {"missing", e.Missing}, {"extra", e.Extra}} {
		if len(p.paths) > 0 {
			parts = append(parts, p.what+": "+strings.Join(p.paths, ", "))
		}
	}
	return "verifying " + SumsFile + ": " + strings.Join(parts, "; ")
}

// VerifySHA256SUMS recomputes the checksums of the tree under root and
// compares them with root/SHA256SUMS. A difference is returned as a
// *VerifyError; paths in SHA256SUMS are only compared, never opened.
func VerifySHA256SUMS(root string) error {
	data, err := os.ReadFile(filepath.Join(root, SumsFile))
	if err != nil {
		return fmt.Errorf("reading %s: %w", SumsFile, err)
	}
	want, err := parseSums(data)
	if err != nil {
		return err
	}
	got, err := hashTree(root)
	if err != nil {
		return err
	}
	var verr VerifyError
	for path, sum := range want {
		switch g, ok := got[path]; {
		case !ok:
			verr.Missing = append(verr.Missing, path)
		case g != sum:
			verr.Mismatched = append(verr.Mismatched, path)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			verr.Extra = append(verr.Extra, path)
		}
	}
	if len(verr.Mismatched)+len(verr.Missing)+len(verr.Extra) == 0 {
		return nil
	}
	sort.Strings(verr.Mismatched)
	sort.Strings(verr.Missing)
	sort.Strings(verr.Extra)
	return &verr
}

// hashTree returns the hex SHA-256 of every regular file under root, keyed
// by slash-separated path relative to root, leaving out root/SHA256SUMS.
func hashTree(root string) (map[string]string, error) {
	// A root given as a symlink (out -> /scratch/out) is followed; links
	// inside the tree are not.
	resolved, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", root, err)
	}
	sums := map[string]string{}
	err = filepath.WalkDir(resolved, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(resolved, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symlink: release trees hold regular files only", rel)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file (%s)", rel, d.Type())
		case rel == SumsFile || rel == SumsSignatureFile:
			return nil
		case strings.ContainsAny(rel, "\\\n\r"):
			// sha256sum escapes such names; refuse them rather than write an
			// escaped form that other tools read differently.
			return fmt.Errorf("%q: backslash or newline in a file name", rel)
		}
		sum, err := digest.File(path)
		if err != nil {
			return err
		}
		sums[rel] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("checksumming %s: %w", root, err)
	}
	return sums, nil
}

// formatSums renders sums in sha256sum's text format, sorted by path in
// byte order (not WalkDir order: "a-b" sorts before "a/b").
func formatSums(sums map[string]string) []byte {
	paths := make([]string, 0, len(sums))
	for p := range sums {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b bytes.Buffer
	for _, p := range paths {
		b.WriteString(sums[p] + "  " + p + "\n")
	}
	return b.Bytes()
}

// parseSums reads "<hex>  <path>" lines; " *" (sha256sum's binary mark) is
// accepted in place of the second space.
func parseSums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		if len(line) < 67 || !isHexSHA256(line[:64]) || (line[64:66] != "  " && line[64:66] != " *") {
			return nil, fmt.Errorf("parsing %s line %d: want \"<sha256 hex>  <path>\", got %q", SumsFile, i+1, line)
		}
		path := line[66:]
		if _, dup := sums[path]; dup {
			return nil, fmt.Errorf("parsing %s line %d: %s listed twice", SumsFile, i+1, path)
		}
		sums[path] = line[:64]
	}
	return sums, nil
}

// isHexSHA256 reports whether s is 64 lowercase hex digits.
func isHexSHA256(s string) bool { return isLowerHex(s, 64) }

// isLowerHex reports whether s is n lowercase hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
