package examples

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// What a run left out, for the summary TestMain prints: `go test ./...`
// shows a passing package as one "ok" line, so without it the skipped
// browser and Redis tests would go unnoticed.
var (
	skippedMu    sync.Mutex
	shortSkipped []string // what -short left out
)

// skipIfShort skips t (or, with t nil, tells the caller to leave a slow
// part out) under -short, and records what for the summary.
func skipIfShort(t *testing.T, what string) bool {
	if !testing.Short() {
		return false
	}
	skippedMu.Lock()
	if !slices.Contains(shortSkipped, what) {
		shortSkipped = append(shortSkipped, what)
	}
	skippedMu.Unlock()
	if t != nil {
		t.Skip("-short: " + what + " skipped")
	}
	return true
}

// haveChromium says whether the browser test finds a browser (the names
// chromium in browser_test.go looks for).
func haveChromium() bool {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if _, err := exec.LookPath(name); err == nil {
			return true
		}
	}
	return false
}

// haveRedis says whether the Redis tests find a Redis (redis_test.go).
func haveRedis() bool {
	if os.Getenv("WXLOGIN_TEST_REDIS_URL") != "" {
		return true
	}
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// skipSummary says what a run left out, why and how to get it; "" when
// it left out nothing.
func skipSummary(short []string, chromium, redis bool) string {
	var lines []string
	if len(short) > 0 {
		lines = append(lines, fmt.Sprintf("  -short: %s (run go test without -short for them)", strings.Join(short, ", ")))
	}
	if !chromium && !slices.Contains(short, "the browser test") {
		lines = append(lines, "  the browser test: no chromium on this machine (Debian: apt-get install chromium)")
	}
	if !redis && !slices.Contains(short, "the Redis tests") {
		lines = append(lines, "  the Redis tests: no redis-server (Debian: apt-get install redis-server), and WXLOGIN_TEST_REDIS_URL is not set")
	}
	if len(lines) == 0 {
		return ""
	}
	return "github.com/wxlogin/wxlogin/examples skipped:\n" + strings.Join(lines, "\n") + "\n"
}

// printSkipped prints skipSummary once, at the end of the run, where the
// person who ran go test sees it: with -v or -json in the test's output;
// otherwise (go test ./... shows nothing of a passing package) on the go
// command's own standard output, on Linux, else in the test's output.
func printSkipped() {
	skippedMu.Lock()
	msg := skipSummary(shortSkipped, haveChromium(), haveRedis())
	skippedMu.Unlock()
	if msg == "" {
		return
	}
	skippedOutput().Write([]byte(msg))
}

// skippedOutput is where printSkipped writes.
func skippedOutput() io.Writer {
	if v := flag.Lookup("test.v"); v != nil && v.Value.String() != "false" {
		return os.Stdout // -v or -json: the output is shown
	}
	ppid := os.Getppid()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", ppid))
	if err != nil || filepath.Base(exe) != "go" {
		return os.Stdout
	}
	out := fmt.Sprintf("/proc/%d/fd/1", ppid)
	if fi, err := os.Stat(out); err != nil || (fi.Mode().IsRegular() && !appending(ppid)) {
		// A file the go command writes at its own offset would overwrite
		// the summary with its "ok" line.
		return os.Stdout
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return os.Stdout
	}
	return f
}

// appending reports whether process pid's standard output appends (a
// shell's >>), from its "flags:" in /proc (octal; O_APPEND is 02000).
func appending(pid int) bool {
	info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/1", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&0o2000 != 0
		}
	}
	return false
}

func TestSkipSummary(t *testing.T) {
	if got := skipSummary(nil, true, true); got != "" {
		t.Errorf("nothing skipped: %q", got)
	}
	got := skipSummary(nil, false, false)
	for _, want := range []string{"the browser test: no chromium", "apt-get install chromium", "the Redis tests: no redis-server", "apt-get install redis-server"} {
		if !strings.Contains(got, want) {
			t.Errorf("no chromium, no Redis: %q lacks %q", got, want)
		}
	}
	got = skipSummary([]string{"the browser test", "the Redis tests"}, false, false)
	if !strings.Contains(got, "-short: the browser test, the Redis tests (run go test without -short") || strings.Contains(got, "no chromium") {
		t.Errorf("-short: %q", got)
	}
}
