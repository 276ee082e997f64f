package debian

import (
	"bufio"
	"bytes"
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
	d := &Dsc{}
	field := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "-----BEGIN PGP SIGNATURE"):
			field = ""
			goto done
		case strings.HasPrefix(text, "-----BEGIN PGP SIGNED MESSAGE"), strings.HasPrefix(text, "Hash:"):
			continue
		case text == "":
			field = ""
			continue
		case text[0] == ' ' || text[0] == '\t':
			cont := strings.TrimSpace(text)
			switch field {
			case "Checksums-Sha256":
				f := strings.Fields(cont)
				if len(f) != 3 || !hex64.MatchString(f[0]) {
					return nil, fmt.Errorf("%s:%d: Checksums-Sha256: %q is not \"<sha256> <size> <file>\"", name, line, cont)
				}
				size, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil || size < 0 {
					return nil, fmt.Errorf("%s:%d: Checksums-Sha256: size %q is not a number", name, line, f[1])
				}
				if strings.ContainsAny(f[2], "/\\") || f[2] == ".." || f[2] == "." {
					return nil, fmt.Errorf("%s:%d: Checksums-Sha256: %q is not a file name", name, line, f[2])
				}
				d.Files = append(d.Files, DscFile{Name: f[2], Size: size, SHA256: f[0]})
			case "Build-Depends":
				d.BuildDepends += " " + cont
			}
			continue
		}
		key, value, ok := strings.Cut(text, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: %q is neither a field nor a continuation line", name, line, text)
		}
		field, value = key, strings.TrimSpace(value)
		switch key {
		case "Source":
			d.Source = value
		case "Version":
			d.Version = value
		case "Format":
			d.Format = value
		case "Build-Depends":
			d.BuildDepends = value
		}
	}
done:
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d.BuildDepends = strings.TrimSpace(strings.Join(strings.Fields(d.BuildDepends), " "))
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
