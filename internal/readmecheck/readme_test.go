package readmecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goBlocks returns the ```go blocks of a Markdown text.
func goBlocks(md string) []string {
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(md, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// What a new user does: a module of their own, the README's program (and
// for Gin its test) copied as they stand, wxlogin replaced by this
// checkout. go vet must pass, also on the README's net/http, Fiber and
// Gin-doors fragments, and the Gin test (log in, expire the token, exactly one
// refresh) too. Offline: the modules are the ones
// this repository's go.sum lists, from the module cache.
func TestREADMEProgramsInANewModule(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// README.md holds the Gin program and its test, docs/frameworks.md
	// the net/http and Fiber programs.
	var blocks []string
	for _, name := range []string{"README.md", "docs/frameworks.md"} {
		md, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, goBlocks(string(md))...)
	}
	find := func(marks ...string) string {
		t.Helper()
	next:
		for _, b := range blocks {
			if !strings.HasPrefix(b, "package main\n") {
				continue
			}
			for _, m := range marks {
				if !strings.Contains(b, m) {
					continue next
				}
			}
			return b
		}
		t.Fatalf("README.md and docs/frameworks.md have no program with %q", marks)
		return ""
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	// The README's fragments (net/http, Fiber, Gin's doors), in a function that
	// declares what they use.
	fragment := func(prefix, imports, params string) string {
		t.Helper()
		for _, b := range blocks {
			if strings.HasPrefix(b, prefix) {
				return "package main\n\nimport (\n" + imports + ")\n\nfunc serve(" + params + ") {\n" + b + "}\n\nfunc main() {}\n"
			}
		}
		t.Fatalf("README.md has no fragment that begins with %q", prefix)
		return ""
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		files map[string]string
		cmd   []string
	}{
		{"nethttp", map[string]string{"main.go": find(`"github.com/wxlogin/wxlogin/nethttpmw"`)}, []string{"vet", "."}},
		{"fiber", map[string]string{"main.go": find(`"github.com/wxlogin/wxlogin/fibermw"`)}, []string{"vet", "."}},
		{"nethttp-fragment", map[string]string{"main.go": fragment("wl := nethttpmw.New(",
			"\t\"log\"\n\t\"log/slog\"\n\t\"net/http\"\n\t\"time\"\n\t\"github.com/wxlogin/wxlogin/core\"\n\t\"github.com/wxlogin/wxlogin/nethttpmw\"\n",
			"auth *core.Auth, addr string, me http.Handler")}, []string{"vet", "."}},
		{"fiber-fragment", map[string]string{"main.go": fragment("wl := fibermw.New(",
			"\t\"log\"\n\t\"log/slog\"\n\t\"time\"\n\t\"github.com/gofiber/fiber/v2\"\n\t\"github.com/wxlogin/wxlogin/core\"\n\t\"github.com/wxlogin/wxlogin/fibermw\"\n",
			"auth *core.Auth, addr string, me fiber.Handler")}, []string{"vet", "."}},
		{"gin-doors-fragment", map[string]string{"main.go": fragment(`r.POST("/auth/weixin/miniprogram", `,
			"\t\"github.com/gin-gonic/gin\"\n\t\"github.com/wxlogin/wxlogin/ginmw\"\n",
			"r *gin.Engine, wl *ginmw.Handlers")}, []string{"vet", "."}},
		{"gin", map[string]string{
			"main.go":      find(`"github.com/wxlogin/wxlogin/ginmw"`),
			"main_test.go": find("func TestLoginAndRefresh("),
		}, []string{"test", "-count=1", "-run", "TestLoginAndRefresh", "."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mod := regexp.MustCompile(`(?m)^module .*$`).ReplaceAllString(string(gomod), "module example.com/myapp") +
				"\nrequire github.com/wxlogin/wxlogin v0.0.0\n\nreplace github.com/wxlogin/wxlogin => " + root + "\n"
			files := map[string]string{"go.mod": mod, "go.sum": string(gosum)}
			for name, src := range tt.files {
				files[name] = src
			}
			for name, src := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("go", tt.cmd...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("go %s in a new module with the README's code: %v\n%s", strings.Join(tt.cmd, " "), err, out)
			}
		})
	}
}
