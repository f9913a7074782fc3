package redisstore

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// redisServer is a redis-server the test started on a free loopback port,
// persistence off.
type redisServer struct {
	t    testing.TB
	exe  string
	addr string
	dir  string
	args []string
	cmd  *exec.Cmd
	log  *syncBuffer
}

// startRedis starts a redis-server for the test, with extra arguments.
// Without one the test skips, except in CI (CI=true), where it fails.
func startRedis(t testing.TB, args ...string) *redisServer {
	t.Helper()
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no redis-server on this machine: CI must install it (apt-get install -y redis-server)")
		}
		t.Skip("Redis test skipped: no redis-server (on Debian: apt-get install redis-server)")
	}
	r := &redisServer{t: t, exe: exe, addr: freeAddr(t), dir: t.TempDir(), args: args, log: &syncBuffer{}}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

func (r *redisServer) start() {
	r.t.Helper()
	host, port, _ := strings.Cut(r.addr, ":")
	args := append([]string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", r.dir}, r.args...)
	r.cmd = exec.Command(r.exe, args...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ping(r.addr) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server did not start:\n%s", r.log)
		}
	}
}

// ping reports whether a Redis answers PING at addr.
func ping(addr string) bool {
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

func (r *redisServer) stop() {
	if r.cmd != nil {
		r.cmd.Process.Signal(syscall.SIGCONT)
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *redisServer) pause()  { r.cmd.Process.Signal(syscall.SIGSTOP) }
func (r *redisServer) resume() { r.cmd.Process.Signal(syscall.SIGCONT) }

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proxy forwards TCP connections to a Redis, and can fail: a network
// between one instance and Redis that fails while Redis stays up for the
// others.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu    sync.Mutex
	state string // "up", "frozen" (nothing forwarded, nothing closed), "down" (connections closed, refused)
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, state: "up"}
	t.Cleanup(func() { ln.Close(); p.restore() })
	go p.accept()
	return p
}

func (p *proxy) url() string { return "redis://" + p.ln.Addr().String() + "/0" }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		switch p.state {
		case "down":
			c.Close()
			p.mu.Unlock()
			continue
		case "frozen":
			p.conns = append(p.conns, c) // accepted, never answered
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

// pipe copies from src to dst, holding the data while the proxy is
// frozen.
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for p.get() == "frozen" {
			time.Sleep(5 * time.Millisecond)
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *proxy) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

func (p *proxy) set(state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if state != "frozen" {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
	p.state = state
}

// freeze makes every connection hang, new ones included.
func (p *proxy) freeze() { p.set("frozen") }

// down closes every connection and refuses new ones.
func (p *proxy) down() { p.set("down") }

// restore closes the connections left (hung ones) and forwards new ones.
func (p *proxy) restore() { p.set("up") }
