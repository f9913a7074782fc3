package examples

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var examples = []string{"nethttp", "gin", "fiber"}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binary builds the examples once per test run and returns name's path.
func binary(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "wxlogin-examples-")
		if buildErr != nil {
			return
		}
		// One go build for the three: it links them in parallel.
		args := []string{"build", "-o", binDir + string(filepath.Separator)}
		for _, ex := range examples {
			args = append(args, "github.com/wxlogin/wxlogin/examples/"+ex)
		}
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

func TestMain(m *testing.M) {
	code := m.Run()
	printSkipped()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// process is a running example.
type process struct {
	base string // http://ADDR
	log  *lockedBuffer
	cmd  *exec.Cmd
}

// alive reports whether the process still runs.
func (p *process) alive() bool {
	return p.cmd.ProcessState == nil && p.cmd.Process.Signal(syscall.Signal(0)) == nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs example name with env (ADDR is added) until the test ends,
// and waits until it answers /healthz.
func start(t testing.TB, name string, env ...string) *process {
	t.Helper()
	return startAt(t, name, freeAddr(t), env...)
}

// startAt is start listening on addr.
func startAt(t testing.TB, name, addr string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(binary(t, name))
	cmd.Env = append(os.Environ(), "ADDR="+addr)
	for _, kv := range []string{"WEIXIN_APPID", "WEIXIN_SECRET", "WEIXIN_MP_APPID", "WEIXIN_MP_SECRET", "PUBLIC_URL",
		"WEIXIN_OPEN_BASE_URL", "WEIXIN_API_BASE_URL", "SESSION_REDIS_URL", "COOKIE_SECURE", "DEV_MODE", "DEFAULT_LANGUAGE", "DATABASE_URL",
		"WEIXIN_MINIPROGRAM_APPID", "WEIXIN_MINIPROGRAM_SECRET", "WEIXIN_APP_APPID", "WEIXIN_APP_SECRET",
		"DEV_WEIXIN_ADDR", "DEV_WEIXIN_PUBLIC_URL"} {
		cmd.Env = append(cmd.Env, kv+"=") // nothing from the test's own environment
	}
	cmd.Env = append(cmd.Env, env...)
	p := &process{base: "http://" + addr, log: &lockedBuffer{}, cmd: cmd}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, p.log)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %v\n%s", name, err, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstLine returns the first line of s containing substr.
func firstLine(s, substr string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			return sc.Text()
		}
	}
	return ""
}
