package debian

import (
	"fmt"
	"strconv"
	"strings"
)

// Dsc is what a Debian source control file (.dsc) says about the package:
// its name, version, build dependencies and the sha256 and size of every
// file of the package. apt checks downloads against it, and it is signed
// with the archive's key through the Sources index it is listed in.
type Dsc struct {
	Source       string
	Version      string
	Format       string
	BuildDepends string
	Files        []DscFile // in the order of Checksums-Sha256
}

// DscFile is one file of a source package.
type DscFile struct {
	Name   string
	Size   int64
	SHA256 string // hex
}

// ParseDsc reads a .dsc, clear-signed or not. name is the file's name for
// errors.
func ParseDsc(data []byte, name string) (*Dsc, error) {
	ps, err := readControl(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", name, err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s: no Source field: not a .dsc", name)
	}
	p := ps[0]
	d := &Dsc{Source: p.value("Source"), Version: p.value("Version"), Format: p.value("Format"), BuildDepends: p.words("Build-Depends")}
	sums, _ := p.get("Checksums-Sha256")
	for i, line := range sums.More {
		f, err := dscFile(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: Checksums-Sha256: %w", name, sums.Line+1+i, err)
		}
		d.Files = append(d.Files, f)
	}
	switch {
	case d.Source == "":
		return nil, fmt.Errorf("%s: no Source field: not a .dsc", name)
	case d.Version == "":
		return nil, fmt.Errorf("%s: no Version field", name)
	case len(d.Files) == 0:
		return nil, fmt.Errorf("%s: no Checksums-Sha256 field: fromscratch pins files by sha256", name)
	}
	return d, nil
}

// dscFile reads one line of Checksums-Sha256: "<sha256> <size> <file>".
func dscFile(line string) (DscFile, error) {
	f := strings.Fields(line)
	if len(f) != 3 || !hex64.MatchString(f[0]) {
		return DscFile{}, fmt.Errorf("%q is not \"<sha256> <size> <file>\"", line)
	}
	size, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || size < 0 {
		return DscFile{}, fmt.Errorf("size %q is not a number", f[1])
	}
	if strings.ContainsAny(f[2], "/\\") || f[2] == ".." || f[2] == "." {
		return DscFile{}, fmt.Errorf("%q is not a file name", f[2])
	}
	return DscFile{Name: f[2], Size: size, SHA256: f[0]}, nil
}

// SourceTOML is the [source] table of a recipe that pins this package:
// every file of it, so that debian_patches can be turned on.
func (d *Dsc) SourceTOML() string {
	var b strings.Builder
	b.WriteString("[source]\n")
	fmt.Fprintf(&b, "debian = %s\n", strconv.Quote(d.Source))
	fmt.Fprintf(&b, "version = %s\n", strconv.Quote(d.Version))
	var pins []string
	for _, f := range d.Files {
		pins = append(pins, fmt.Sprintf("%s = %s", strconv.Quote(f.Name), strconv.Quote("sha256:"+f.SHA256)))
	}
	fmt.Fprintf(&b, "files = { %s }\n", strings.Join(pins, ", "))
	return b.String()
}
