package debian

import (
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// The .dsc files of bookworm's tree and pigz, as apt-get source
// downloaded them (clear-signed).
func TestParseDsc(t *testing.T) {
	for _, c := range []struct {
		file, source, version, deps string
		files                       []DscFile
	}{
		{"tree_2.1.0-1.dsc", "tree", "2.1.0-1", "debhelper-compat (= 13)", []DscFile{
			{"tree_2.1.0.orig.tar.gz", 59189, "0160c535bff2b0dc6a830b9944e981e3427380f63e748da96ced7071faebabf6"},
			{"tree_2.1.0-1.debian.tar.xz", 7028, "0ae973a28a78f2cb490d98d92897d1582ef9aac7ecd61cae91a6fdb0fea61db6"}}},
		{"pigz_2.6-1.dsc", "pigz", "2.6-1", "debhelper (>= 10), zlib1g-dev, quilt", []DscFile{
			{"pigz_2.6.orig.tar.xz", 95152, "e3f4f3371ff3d1d71575ab45897a847ef6974b3802fb0982ee8e163abb45e9c8"},
			{"pigz_2.6-1.debian.tar.xz", 3704, "ba616b796a05718438a6fc45672fde436a153cdf98cb87153b9a80a38c27da24"}}},
	} {
		data, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseDsc(data, c.file)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if d.Source != c.source || d.Version != c.version || d.BuildDepends != c.deps || d.Format != "3.0 (quilt)" {
			t.Errorf("%s: %+v", c.file, d)
		}
		if len(d.Files) != len(c.files) {
			t.Fatalf("%s: files %+v, want %+v", c.file, d.Files, c.files)
		}
		for i := range c.files {
			if d.Files[i] != c.files[i] {
				t.Errorf("%s: file %d = %+v, want %+v", c.file, i, d.Files[i], c.files[i])
			}
		}
		// The [source] table is TOML a recipe takes as it is.
		var got struct {
			Source struct {
				Debian, Version string
				Files           map[string]string
			}
		}
		if _, err := toml.Decode(d.SourceTOML(), &got); err != nil {
			t.Fatalf("%s: SourceTOML is not TOML: %v\n%s", c.file, err, d.SourceTOML())
		}
		if got.Source.Debian != c.source || got.Source.Version != c.version || len(got.Source.Files) != len(c.files) {
			t.Errorf("%s: SourceTOML decodes to %+v", c.file, got)
		}
		for _, f := range c.files {
			if got.Source.Files[f.Name] != "sha256:"+f.SHA256 {
				t.Errorf("%s: SourceTOML pins %s to %q", c.file, f.Name, got.Source.Files[f.Name])
			}
		}
	}
}

func TestParseDscRefuses(t *testing.T) {
	const sum = "0160c535bff2b0dc6a830b9944e981e3427380f63e748da96ced7071faebabf6"
	for _, c := range []struct{ name, data, want string }{
		{"not a dsc", "Package: tree\nVersion: 1\n", "no Source field"},
		{"no version", "Source: tree\nChecksums-Sha256:\n " + sum + " 1 tree_1.orig.tar.gz\n", "no Version field"},
		{"no sha256", "Source: tree\nVersion: 1-1\nFiles:\n 50aa5cdb28df6340ef67a3a3ec953ffc 1 tree_1.orig.tar.gz\n", "no Checksums-Sha256"},
		{"short digest", "Source: tree\nVersion: 1-1\nChecksums-Sha256:\n abc 1 tree_1.orig.tar.gz\n", `"abc 1 tree_1.orig.tar.gz" is not`},
		{"bad size", "Source: tree\nVersion: 1-1\nChecksums-Sha256:\n " + sum + " x tree_1.orig.tar.gz\n", `size "x"`},
		{"path", "Source: tree\nVersion: 1-1\nChecksums-Sha256:\n " + sum + " 1 ../tree_1.orig.tar.gz\n", `"../tree_1.orig.tar.gz" is not a file name`},
		{"garbage line", "Source: tree\nnot a field\n", "neither a field nor a continuation"},
	} {
		_, err := ParseDsc([]byte(c.data), "x.dsc")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x.dsc") {
			t.Errorf("%s: %v, want an error naming x.dsc and saying %q", c.name, err, c.want)
		}
	}
}
