package release

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// NewFileRef describes the host file hostPath, copied to imagePath in an
// image: it reads the file once for its SHA1, SHA256 and size.
func NewFileRef(imagePath, hostPath string) (FileRef, error) {
	f, err := os.Open(hostPath)
	if err != nil {
		return FileRef{}, fmt.Errorf("hashing %s: %w", hostPath, err)
	}
	defer f.Close()
	h1, h256 := sha1.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(h1, h256), f)
	if err != nil {
		return FileRef{}, fmt.Errorf("hashing %s: %w", hostPath, err)
	}
	return FileRef{
		ImagePath: imagePath,
		HostPath:  hostPath,
		SHA1:      hex.EncodeToString(h1.Sum(nil)),
		SHA256:    hex.EncodeToString(h256.Sum(nil)),
		Size:      n,
	}, nil
}

// ParseOSRelease reads the Distro from the contents of an os-release file
// (/etc/os-release): its ID and VERSION_ID.
func ParseOSRelease(data []byte) (Distro, error) {
	var d Distro
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		if u, err := strconv.Unquote(value); err == nil {
			value = u
		} else {
			value = strings.Trim(value, `'`)
		}
		switch key {
		case "ID":
			d.ID = value
		case "VERSION_ID":
			d.VersionID = value
		}
	}
	if !distroField.MatchString(d.ID) || !distroField.MatchString(d.VersionID) {
		return Distro{}, fmt.Errorf("parsing os-release: want ID and VERSION_ID, got %+v", d)
	}
	return d, nil
}
