package debian

import (
	"errors"
	"strings"
	"testing"
)

func TestReadControl(t *testing.T) {
	signed := "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nFormat: 3.0 (quilt)\nSource: tree\n# a comment\nBuild-Depends: a,\n  b (>= 1),\n\tc\n\n\nSource: second\n" +
		"-----BEGIN PGP SIGNATURE-----\n\nnot: a field of the file\n-----END PGP SIGNATURE-----\n"
	ps, err := readControl([]byte(signed))
	if err != nil || len(ps) != 2 {
		t.Fatalf("%d paragraphs, %v; want 2", len(ps), err)
	}
	p := ps[0]
	if len(p) != 3 || p.value("source") != "tree" || p.value("Format") != "3.0 (quilt)" || p.words("Build-Depends") != "a, b (>= 1), c" {
		t.Errorf("first paragraph %+v", p)
	}
	if f, _ := p.get("Build-Depends"); f.Line != 7 || strings.Join(f.More, "|") != "b (>= 1),|c" {
		t.Errorf("Build-Depends %+v, want line 7 and two continuation lines", f)
	}
	if ps[1].value("Source") != "second" || len(ps[1]) != 1 {
		t.Errorf("second paragraph %+v (the signature is not read)", ps[1])
	}
	_, err = readControl([]byte("Source: tree\n\nnot a field\n"))
	if se, ok := errors.AsType[*syntaxError](err); !ok || se.Line != 3 || se.Text != "not a field" {
		t.Errorf("error %v, want a syntax error on line 3", err)
	}
}
