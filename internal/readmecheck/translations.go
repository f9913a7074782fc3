package readmecheck

import (
	"fmt"
	"strings"
)

// Heading is a Markdown heading: its level (the number of #) and text.
type Heading struct {
	Level int
	Text  string
}

// Outline returns the headings of the Markdown text md outside fenced
// code blocks, and its fenced code blocks (fence lines included, as they
// are), in order. An unclosed fence is an error.
func Outline(md string) (headings []Heading, blocks []string, err error) {
	var cur []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			cur = append(cur, line)
			if strings.TrimSpace(line) == fence {
				blocks = append(blocks, strings.Join(cur, "\n"))
				fence, cur = "", nil
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			for _, c := range trimmed[3:] {
				if string(c) != fence[:1] {
					break
				}
				fence += string(c)
			}
			cur = []string{line}
			continue
		}
		if strings.HasPrefix(line, "#") {
			level := len(line) - len(strings.TrimLeft(line, "#"))
			if level <= 6 && (len(line) == level || line[level] == ' ') {
				headings = append(headings, Heading{level, strings.TrimSpace(line[level:])})
			}
		}
	}
	if fence != "" {
		return nil, nil, fmt.Errorf("readmecheck: a %s fence is never closed", fence)
	}
	return headings, blocks, nil
}

// InStep compares a document and its translation: the same headings
// (count and levels, in order) and every fenced code block byte for
// byte. It returns what differs, nothing when they are in step.
func InStep(original, translation string) []string {
	oh, ob, err := Outline(original)
	if err != nil {
		return []string{"original: " + err.Error()}
	}
	th, tb, err := Outline(translation)
	if err != nil {
		return []string{"translation: " + err.Error()}
	}
	var diffs []string
	if len(oh) != len(th) {
		diffs = append(diffs, fmt.Sprintf("%d headings, the translation has %d", len(oh), len(th)))
	}
	for i := range min(len(oh), len(th)) {
		if oh[i].Level != th[i].Level {
			diffs = append(diffs, fmt.Sprintf("heading %d %q is level %d, the translation's %q level %d",
				i+1, oh[i].Text, oh[i].Level, th[i].Text, th[i].Level))
		}
	}
	if len(ob) != len(tb) {
		diffs = append(diffs, fmt.Sprintf("%d code blocks, the translation has %d", len(ob), len(tb)))
	}
	for i := range min(len(ob), len(tb)) {
		if ob[i] != tb[i] {
			diffs = append(diffs, fmt.Sprintf("code block %d differs:\n%s\n--- translation:\n%s", i+1, ob[i], tb[i]))
		}
	}
	return diffs
}
