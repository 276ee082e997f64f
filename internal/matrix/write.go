package matrix

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// The files WriteAll writes: the matrix itself (JSONFile, what Load
// reads) and its renderings.
const (
	JSONFile     = "matrix.json"
	CSVFile      = "matrix.csv"
	MarkdownFile = "matrix.md"
	SVGFile      = "matrix.svg"
)

// Files are the files WriteAll writes, in the order it writes them.
var Files = []string{JSONFile, CSVFile, MarkdownFile, SVGFile}

// outputs are the files WriteAll produces, in the order it writes them.
var outputs = []struct {
	name   string
	render func(io.Writer, *Matrix) error
}{
	{JSONFile, JSON},
	{CSVFile, CSV},
	{MarkdownFile, Markdown},
	{SVGFile, SVG},
}

// WriteAll writes matrix.json, matrix.csv, matrix.md and matrix.svg into dir,
// creating it if needed. Each file is rendered in memory, written to a
// temporary file in dir and renamed into place, so a reader never sees a
// half-written file.
func WriteAll(dir string, m *Matrix) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating matrix directory: %w", err)
	}
	for _, o := range outputs {
		var buf bytes.Buffer
		if err := o.render(&buf, m); err != nil {
			return fmt.Errorf("rendering %s: %w", o.name, err)
		}
		if err := atomicfile.WriteChanged(filepath.Join(dir, o.name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// AppendMarkdown appends the Markdown rendering of m to the file at path
// (GitHub Actions' $GITHUB_STEP_SUMMARY, so a run shows the tables on its
// summary page). It does nothing when path is empty.
func (m *Matrix) AppendMarkdown(path string) error {
	if path == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := Markdown(&buf, m); err != nil {
		return fmt.Errorf("rendering step summary: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening step summary: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("appending step summary %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("appending step summary %s: %w", path, err)
	}
	return nil
}
