package weixintest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/weixintest"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  weixintest.Fault
		check  func(resp *http.Response, body string) bool
		status int
	}{
		{"status", weixintest.Fault{Status: 503, Times: 1}, func(r *http.Response, b string) bool { return r.StatusCode == 503 }, 503},
		{"malformed", weixintest.Fault{Malformed: true, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && !json.Valid([]byte(b))
		}, 200},
		{"huge body", weixintest.Fault{BodySize: 3 << 20, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && len(b) >= 3<<20-64 && json.Valid([]byte(b))
		}, 200},
		{"errcode", weixintest.Fault{Errcode: -1, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && strings.Contains(b, `"errcode":-1`) && r.Header.Get("Content-Type") == "text/plain"
		}, 200},
		{"delay", weixintest.Fault{Delay: 50 * time.Millisecond, Times: 1}, func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && strings.Contains(b, `"errcode":40014`)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := weixintest.NewServer()
			defer srv.Close()
			srv.InjectFault(weixintest.PathAuth, tt.fault)
			start := time.Now()
			for i := range 2 {
				resp, err := http.Get(srv.URL + weixintest.PathAuth + "?access_token=x&openid=y")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				faulted := tt.check(resp, string(body))
				if i == 0 && !faulted {
					t.Errorf("first call not faulted: %d %.200s", resp.StatusCode, body)
				}
				if i == 1 && (resp.StatusCode != 200 || !strings.Contains(string(body), `"errcode":40014`)) {
					t.Errorf("Times: 1 faulted the second call too: %d %.200s", resp.StatusCode, body)
				}
			}
			if tt.fault.Delay > 0 && time.Since(start) < tt.fault.Delay {
				t.Error("no delay")
			}
			if n := srv.Calls(weixintest.PathAuth); n != 2 {
				t.Errorf("Calls = %d, want 2", n)
			}
			if log := srv.Log(); len(log) != 2 || log[0].Status != tt.status || log[0].Path != weixintest.PathAuth || log[0].Query.Get("openid") != "y" {
				t.Errorf("Log = %+v", log)
			}
		})
	}
}

func TestFaultsQueueAndPersist(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.InjectFault(weixintest.PathAuth, weixintest.Fault{Errcode: 45011, Times: 1})
	srv.InjectFault(weixintest.PathAuth, weixintest.Fault{Errcode: -1})
	var got []int
	for range 4 {
		got = append(got, errcode(get(t, srv, weixintest.PathAuth, url.Values{"access_token": {"x"}, "openid": {"y"}})))
	}
	if fmt.Sprint(got) != "[45011 -1 -1 -1]" {
		t.Errorf("errcodes %v", got)
	}
	srv.ClearFaults()
	if c := errcode(get(t, srv, weixintest.PathAuth, url.Values{"access_token": {"x"}, "openid": {"y"}})); c != 40014 {
		t.Errorf("after ClearFaults: %d", c)
	}
	if srv.Calls(weixintest.PathUserInfo) != 0 || srv.Calls(weixintest.PathAuth) != 5 {
		t.Error("calls counted on the wrong path")
	}
	srv.ResetLog()
	if srv.Calls(weixintest.PathAuth) != 0 || len(srv.Log()) != 0 {
		t.Error("ResetLog kept something")
	}
}

func TestDelayHonoursCancellation(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	srv.InjectFault(weixintest.PathAuth, weixintest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+weixintest.PathAuth, nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("a one-minute delay answered")
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for the delayed handler")
	}
	if time.Since(start) > 5*time.Second {
		t.Error("too slow")
	}
}
