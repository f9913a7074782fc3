package nethttpmw_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
	"github.com/wxlogin/wxlogin/internal/logtest"
	"github.com/wxlogin/wxlogin/nethttpmw"
	"github.com/wxlogin/wxlogin/weixintest"
)

// A whole login through AccessLog: the callback's code and state reach
// the handler (the login succeeds) and never the log, which has one line
// per request.
func TestAccessLog(t *testing.T) {
	wx := weixintest.NewServer()
	defer wx.Close()
	app := httptest.NewUnstartedServer(nil)
	web := wx.Config(weixintest.DefaultAppID, "http://"+app.Listener.Addr().String()+"/auth/weixin/callback", weixin.ScopeLogin)
	auth, err := core.New(core.Options{Website: &web, Sessions: scs.New(), DefaultReturnTo: "/api/me"})
	if err != nil {
		t.Fatal(err)
	}
	var log logtest.Buffer
	wl := nethttpmw.New(auth, nethttpmw.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.Handle("GET /api/me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		w.Write([]byte(u.Nickname))
	})))
	mux.HandleFunc("GET /empty", func(http.ResponseWriter, *http.Request) {})
	app.Config.Handler = nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(wl.Sessions(mux))
	app.Start()
	defer app.Close()

	logtest.AccessLogin(t, wx, app.URL, &log)
	if n := len(logtest.AccessLines(t, log.String())); n != 4 {
		t.Errorf("%d lines, want 4:\n%s", n, log.String())
	}
}

// The writer AccessLog hands on still flushes (streaming answers) and
// reaches the connection's own writer through Unwrap.
func TestAccessLogKeepsFlusher(t *testing.T) {
	var log logtest.Buffer
	h := nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("part"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stream?code=x", nil))
	if !rec.Flushed || rec.Code != http.StatusAccepted {
		t.Errorf("flushed %v, status %d", rec.Flushed, rec.Code)
	}
	l := logtest.AccessLines(t, log.String())[0]
	if l["status"] != 202.0 || l["bytes"] != 4.0 || l["query"] != "code=REDACTED" {
		t.Errorf("line %v", l)
	}
}

// A handler that panics before answering is logged as the 500 the server
// answers, and the panic goes on to the server.
func TestAccessLogPanic(t *testing.T) {
	var log logtest.Buffer
	h := nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	func() {
		defer func() {
			if recover() != "boom" {
				t.Error("the panic did not reach the server")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x?state=S", nil))
	}()
	l := logtest.AccessLines(t, log.String())[0]
	if l["status"] != 500.0 || l["method"] != "POST" || l["query"] != "state=REDACTED" {
		t.Errorf("line %v", l)
	}
}

// The cost of AccessLog on a callback's request, as a ratio to the same
// handler without it (compare the two lines of one run).
func BenchmarkAccessLog(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	logged := nethttpmw.AccessLog(slog.New(slog.NewTextHandler(io.Discard, nil)))(ok)
	req := httptest.NewRequest(http.MethodGet, "/auth/weixin/callback?code=0a1b2c3d4e5f6a7b&state=AbCdEfGhIjKlMnOpQrStUvWx", nil)
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{{"bare", ok}, {"AccessLog", logged}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			for b.Loop() {
				w.Body.Reset()
				bb.h.ServeHTTP(w, req)
			}
		})
	}
}

// A file served through AccessLog (http.ServeContent, io.Copy: the
// writer's ReadFrom) is counted whole.
func TestAccessLogCountsReadFrom(t *testing.T) {
	var log logtest.Buffer
	body := strings.Repeat("x", 100_000)
	h := nethttpmw.AccessLog(slog.New(slog.NewJSONHandler(&log, nil)))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, strings.NewReader(body))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/file?ticket=T")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Fatalf("%d bytes received", len(got))
	}
	l := logtest.AccessLines(t, log.String())[0]
	if l["status"] != 200.0 || l["bytes"] != float64(len(body)) || l["query"] != "ticket=REDACTED" {
		t.Errorf("line %v", l)
	}
}
