package readmecheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// Every English document (README.md, docs/*.md) has its Simplified
// Chinese twin (X.zh-CN.md) and the two stay in step: the same headings
// in the same order and levels, every code block byte for byte. The
// documents are found, not listed, so that a new pair is checked too.
func TestTranslationsInStep(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme, readmeZh := read(filepath.Join(root, "README.md")), read(filepath.Join(root, "README.zh-CN.md"))
	pairs := 0
	for _, path := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		rel, _ := filepath.Rel(root, path)
		if strings.HasSuffix(path, ".zh-CN.md") {
			if _, err := os.Stat(strings.TrimSuffix(path, ".zh-CN.md") + ".md"); err != nil {
				t.Errorf("%s has no English original", rel)
			}
			continue
		}
		twin := strings.TrimSuffix(path, ".md") + ".zh-CN.md"
		relTwin, _ := filepath.Rel(root, twin)
		if _, err := os.Stat(twin); err != nil {
			t.Errorf("%s has no Chinese twin %s: translate it (same headings, same code blocks)", rel, relTwin)
			continue
		}
		pairs++
		for _, d := range InStep(read(path), read(twin)) {
			t.Errorf("%s and %s are not in step: %s", rel, relTwin, d)
		}
		if strings.HasPrefix(rel, "docs"+string(filepath.Separator)) {
			// Every document is reachable from the README of its language.
			if !strings.Contains(readme, "("+filepath.ToSlash(rel)) {
				t.Errorf("README.md does not link to %s", rel)
			}
			if !strings.Contains(readmeZh, "("+filepath.ToSlash(relTwin)) {
				t.Errorf("README.zh-CN.md does not link to %s", relTwin)
			}
		}
	}
	if pairs < 2 {
		t.Errorf("%d pairs found under %s", pairs, root)
	}
	if !strings.Contains(readme, "(README.zh-CN.md)") || !strings.Contains(readmeZh, "(README.md)") {
		t.Error("README.md and README.zh-CN.md must link to each other")
	}
}

func TestOutline(t *testing.T) {
	md := "# Title\n\ntext\n\n```sh\n# a comment, not a heading\ngo test ./...\n```\n\n## Part\n" +
		"1. step\n\n   ```go\n   x := 1\n   ```\n\n#nospace\n### Sub\n````md\n```\n````\n"
	h, b, err := Outline(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[0] != (Heading{1, "Title"}) || h[1] != (Heading{2, "Part"}) || h[2] != (Heading{3, "Sub"}) {
		t.Errorf("headings %v", h)
	}
	want := []string{"```sh\n# a comment, not a heading\ngo test ./...\n```", "   ```go\n   x := 1\n   ```", "````md\n```\n````"}
	if len(b) != len(want) {
		t.Fatalf("blocks %q", b)
	}
	for i := range want {
		if b[i] != want[i] {
			t.Errorf("block %d: %q, want %q", i, b[i], want[i])
		}
	}
	if _, _, err := Outline("```go\nx\n"); err == nil {
		t.Error("an unclosed fence: no error")
	}
	for h, want := range map[string]string{"Fiber (v2)": "fiber-v2", "net/http": "nethttp", "Redis 淘汰策略": "redis-淘汰策略",
		"Using `core` directly": "using-core-directly", "What a visitor's page says": "what-a-visitors-page-says"} {
		if got := slug(h); got != want {
			t.Errorf("slug(%q) = %q, want %q", h, got, want)
		}
	}
	if d := InStep(md, strings.Replace(md, "## Part", "## 部分", 1)); len(d) != 0 {
		t.Errorf("a translated heading: %v", d)
	}
	for _, bad := range []string{
		strings.Replace(md, "## Part", "### Part", 1),
		strings.Replace(md, "### Sub\n", "", 1),
		strings.Replace(md, "x := 1", "x := 2", 1),
		strings.Replace(md, "# a comment", "# 注释", 1),
	} {
		if d := InStep(md, bad); len(d) == 0 {
			t.Errorf("not in step, undetected:\n%s", bad)
		}
	}
}

// slug is GitHub's anchor of a heading: lower case, punctuation dropped
// (letters of any script, digits, "-" and "_" kept), spaces as "-".
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Every relative link of README.md, README.zh-CN.md and docs/*.md leads
// to a file that exists, and its #anchor to a heading of that file.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "README.zh-CN.md"))
	anchors := func(path string) map[string]bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		h, _, _ := Outline(string(b))
		m := map[string]bool{}
		for _, x := range h {
			m[slug(x.Text)] = true
		}
		return m
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			dest := path
			if file != "" {
				dest = filepath.Join(filepath.Dir(path), file)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %s: no such file", rel, target)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(dest, ".md") && !anchors(dest)[anchor] {
				t.Errorf("%s: link %s: no heading with that anchor", rel, target)
			}
		}
	}
}
