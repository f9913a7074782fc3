// Package readmecheck keeps README.md, docs/ and the code they show in
// step: the recipe tests mark the regions the documents mirror, and
// Mirrored fails when a document no longer holds one of them word for
// word; this package's own test builds the programs, and runs the Gin
// test, in a new module as a user would. InStep keeps each document and
// its Simplified Chinese twin (X.zh-CN.md) in step: the same headings and
// the same code blocks.
package readmecheck

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The lines that open and close a region README.md mirrors.
const (
	Begin = "// README begin"
	End   = "// README end"
)

// Regions returns the regions of src between a line Begin and a line End
// (markers and blank lines at either end excluded, lines as they are),
// in order.
func Regions(src string) ([]string, error) {
	var regions []string
	var cur []string
	in := false
	for i, line := range strings.Split(src, "\n") {
		switch strings.TrimSpace(line) {
		case Begin:
			if in {
				return nil, &MarkerError{Line: i + 1, Msg: "README begin inside a region"}
			}
			in, cur = true, nil
		case End:
			if !in {
				return nil, &MarkerError{Line: i + 1, Msg: "README end outside a region"}
			}
			in = false
			regions = append(regions, strings.Trim(strings.Join(cur, "\n"), "\n")+"\n")
		default:
			if in {
				cur = append(cur, line)
			}
		}
	}
	if in {
		return nil, &MarkerError{Line: -1, Msg: "README begin without an end"}
	}
	return regions, nil
}

// MarkerError is a misplaced marker.
type MarkerError struct {
	// Line is the 1-based line of the marker, -1 at the end of the file.
	Line int
	// Msg says what is wrong.
	Msg string
}

func (e *MarkerError) Error() string { return fmt.Sprintf("readmecheck: line %d: %s", e.Line, e.Msg) }

// Mirrored fails t unless every region of the Go file source is in the
// file readme word for word, and source has at least one region.
func Mirrored(t testing.TB, source, readme string) {
	t.Helper()
	src, err := os.ReadFile(source)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	regions, err := Regions(string(src))
	if err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	if len(regions) == 0 {
		t.Fatalf("%s has no %q … %q region", source, Begin, End)
	}
	for _, r := range regions {
		if !strings.Contains(string(doc), r) {
			t.Errorf("%s no longer shows this code of %s word for word; copy it there again:\n%s", readme, source, r)
		}
	}
}
