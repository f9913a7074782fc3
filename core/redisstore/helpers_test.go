package redisstore

import (
	"net"
	"sync"
	"testing"
	"time"
)

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
