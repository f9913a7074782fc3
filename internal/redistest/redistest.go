// Package redistest starts a real redis-server (Debian's package) for a
// test, on a free loopback port with persistence off, and can freeze,
// stop and restart it. Without redis-server the test skips with a
// message, except in CI (CI=true), where it fails: CI must install it.
// Under go test -short, the tests that need it skip.
package redistest

import (
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/logtest"
)

// Server is a redis-server started for one test.
type Server struct {
	t    testing.TB
	exe  string
	addr string
	dir  string
	args []string
	cmd  *exec.Cmd
	log  *logtest.Buffer
}

// Start starts a redis-server for t, with extra command-line arguments,
// and stops it when t ends.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the Redis tests are left out")
	}
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no redis-server on this machine: CI must install it (apt-get install -y redis-server)")
		}
		t.Skip("Redis test skipped: no redis-server (on Debian: apt-get install redis-server)")
	}
	s := &Server{t: t, exe: exe, addr: FreeAddr(t), dir: t.TempDir(), args: args, log: &logtest.Buffer{}}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// URL returns the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.addr + "/0" }

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Log returns what the server printed.
func (s *Server) Log() string { return s.log.String() }

// Restart starts the server (again, after Stop, on the same address and
// empty: persistence is off) and waits until it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	host, port, _ := strings.Cut(s.addr, ":")
	args := append([]string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", s.dir}, s.args...)
	s.cmd = exec.Command(s.exe, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if Ping(s.addr) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not start:\n%s", s.log)
		}
	}
}

// Stop ends the server; its data is lost.
func (s *Server) Stop() {
	if s.cmd != nil {
		s.cmd.Process.Signal(syscall.SIGCONT)
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Pause freezes the server: a Redis that answers nothing.
func (s *Server) Pause() { s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume thaws a paused server.
func (s *Server) Resume() { s.cmd.Process.Signal(syscall.SIGCONT) }

// Ping reports whether a Redis answers PING at addr.
func Ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	b := make([]byte, 7)
	n, _ := io.ReadFull(c, b)
	return string(b[:n]) == "+PONG\r\n"
}

// FreeAddr returns a loopback address nobody listens on.
func FreeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
