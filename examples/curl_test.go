package examples

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The README's curl login, its three lines as they stand, against each
// example in dev mode: the last line prints the user.
func TestREADMECurlLogin(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("no %s on this machine: CI must install it (apt-get install -y %s)", tool, tool)
			}
			t.Skipf("the README's curl login needs %s: not on this machine (on Debian: apt-get install %s)", tool, tool)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var script string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if strings.Contains(m[1], "&user=u1") {
			script = m[1]
		}
	}
	if n := strings.Count(strings.TrimSpace(script), "\n") + 1; script == "" || n != 3 {
		t.Fatalf("README.md has no three-line curl login (%d lines):\n%s", n, script)
	}
	each(t, func(t *testing.T, name string) {
		p := start(t, name) // dev mode
		cmd := exec.Command("bash", "-e", "-c", strings.ReplaceAll(script, "http://127.0.0.1:8080", p.base))
		cmd.Dir = t.TempDir() // the cookie jar
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"nickname":"张三"`) || !strings.Contains(string(out), `"openid":"`) {
			t.Errorf("the README's curl login: %v\n%s\n%s", err, out, p.log)
		}
	})
}
