package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
)

// brokenStore is a session store that fails every call, quoting the
// session id it was given as some stores do; hang makes Find block
// until release is closed. It has no FindCtx.
type brokenStore struct {
	mu      sync.Mutex
	asked   []string
	hang    bool
	release chan struct{}
}

func (s *brokenStore) Find(token string) ([]byte, bool, error) {
	s.mu.Lock()
	s.asked = append(s.asked, token)
	s.mu.Unlock()
	if s.hang {
		<-s.release
	}
	return nil, false, fmt.Errorf("dial tcp 10.0.0.7:6379: GET sessions:%s: connection refused", token)
}
func (s *brokenStore) Commit(string, []byte, time.Time) error { return errors.New("down") }
func (s *brokenStore) Delete(string) error                    { return errors.New("down") }

// A memory store is ready, each time with an id never issued.
func TestReadyMemoryStore(t *testing.T) {
	e := newEnv(t)
	if err := e.auth.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.auth.Adapter().ReadyResponse(context.Background())
	if r.Status != http.StatusOK || string(r.Body) != "ok" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("ReadyResponse: %d %v %q", r.Status, r.Header, r.Body)
	}
	if n := e.sessions(); n != 0 {
		t.Errorf("Ready left %d sessions", n)
	}
}

// A failing store: the error wraps ErrSessionStore, keeps the store's
// message but never the id looked up; the answer is 503 with a reason
// that names nothing internal, and the log says why.
func TestReadyStoreDown(t *testing.T) {
	st := &brokenStore{}
	e := newEnv(t, func(o *core.Options) { o.Sessions.Store = st })
	err := e.auth.Ready(context.Background())
	if !errors.Is(err, core.ErrSessionStore) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Ready: %v", err)
	}
	r := e.auth.Adapter().ReadyResponse(context.Background())
	if r.Status != http.StatusServiceUnavailable || string(r.Body) != "not ready: session store unavailable\n" {
		t.Errorf("ReadyResponse: %d %q", r.Status, r.Body)
	}
	if len(st.asked) != 2 || st.asked[0] == st.asked[1] || len(st.asked[0]) < 26 {
		t.Fatalf("ids looked up: %q", st.asked)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `msg="wxlogin: not ready"`) || !strings.Contains(logs, "connection refused") {
		t.Errorf("log: %s", logs)
	}
	for _, id := range st.asked {
		if strings.Contains(err.Error(), id) || strings.Contains(logs, id) || strings.Contains(string(r.Body), id) {
			t.Errorf("the id looked up %q is in the error, log or answer: %v", id, err)
		}
	}
}

// A store that hangs, without FindCtx: Ready gives up when ctx ends.
func TestReadyStoreHangs(t *testing.T) {
	st := &brokenStore{hang: true, release: make(chan struct{})}
	defer close(st.release)
	e := newEnv(t, func(o *core.Options) { o.Sessions.Store = st })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := e.auth.Ready(ctx)
	if !errors.Is(err, core.ErrSessionStore) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ready: %v", err)
	}
}
