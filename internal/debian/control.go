package debian

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// paragraph is one stanza of a deb822 control file (a .dsc, apt's
// debian.sources, apt-cache show's answer): its fields in order.
type paragraph []field

// field is one "Name: value" of a paragraph with its continuation lines.
type field struct {
	Name, Value string // both trimmed
	Line        int    // 1-based, of the "Name:" line
	More        []string
}

// get is the field name (compared as deb822 does, ignoring case).
func (p paragraph) get(name string) (field, bool) {
	for _, f := range p {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return field{}, false
}

// value is the first line of the field name, "" when there is none.
func (p paragraph) value(name string) string {
	f, _ := p.get(name)
	return f.Value
}

// words is the whole field name, continuation lines included, with every
// run of white space made one space.
func (p paragraph) words(name string) string {
	f, _ := p.get(name)
	return strings.Join(strings.Fields(f.Value+" "+strings.Join(f.More, " ")), " ")
}

// syntaxError is a line of a control file that is neither a field, a
// continuation line, a comment nor blank.
type syntaxError struct {
	Line int
	Text string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%d: %q is neither a field nor a continuation line", e.Line, e.Text)
}

// readControl reads the paragraphs of a deb822 control file, clear-signed
// or not (the signature is neither read nor checked: apt checked it).
// Paragraphs are separated by blank lines; lines starting with "#" are
// comments; continuation lines start with a space or a tab and are kept
// trimmed. A line that is none of these is a *syntaxError.
func readControl(data []byte) ([]paragraph, error) {
	var ps []paragraph
	var cur paragraph
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	armor := false // in the clear-signed message's header
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		switch {
		case n == 1 && strings.HasPrefix(text, "-----BEGIN PGP SIGNED MESSAGE"):
			armor = true
		case armor:
			armor = text != ""
		case strings.HasPrefix(text, "-----BEGIN PGP SIGNATURE"):
			return appendParagraph(ps, cur), nil
		case strings.TrimSpace(text) == "":
			ps, cur = appendParagraph(ps, cur), nil
		case text[0] == '#':
		case text[0] == ' ' || text[0] == '\t':
			if len(cur) > 0 {
				cur[len(cur)-1].More = append(cur[len(cur)-1].More, strings.TrimSpace(text))
			}
		default:
			name, value, ok := strings.Cut(text, ":")
			if !ok {
				return nil, &syntaxError{Line: n, Text: text}
			}
			cur = append(cur, field{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value), Line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return appendParagraph(ps, cur), nil
}

func appendParagraph(ps []paragraph, p paragraph) []paragraph {
	if len(p) == 0 {
		return ps
	}
	return append(ps, p)
}
