package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// doorSample is one recorded reply of testdata/weixin-samples-doors.json
// (a copy, byte for byte, of the project's shared file).
type doorSample struct {
	Endpoint   string `json:"endpoint"`
	Source     string `json:"source"`
	Body       string `json:"body"`
	Expect     string `json:"expect"`
	Provenance string `json:"provenance"`
}

// The recorded replies of the app access token and of the APIs called
// with it, served as recorded, lead the client to the conclusion each
// sample's expect states: a configuration error that names what to fix,
// a quota, a printout that is no reply, a phone code of another app (400),
// a stale token re-read once and then reported (502).
func TestRecordedAppTokenReplies(t *testing.T) {
	raw, err := os.ReadFile("testdata/weixin-samples-doors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Samples []doorSample }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, s := range f.Samples {
		var tokenReply, apiReply string // what stable_token and the API answer
		switch {
		case strings.Contains(s.Endpoint, "quota/get") || strings.Contains(s.Provenance, "wrapped by SDK"):
			continue // not a reply of these endpoints as sent
		case strings.Contains(s.Endpoint, "/cgi-bin/token") || strings.Contains(s.Endpoint, "/cgi-bin/stable_token") && !strings.HasPrefix(s.Endpoint, "any "):
			tokenReply = s.Body // /cgi-bin/token's errors are stable_token's too
		case strings.Contains(s.Endpoint, "getuserphonenumber") || strings.HasPrefix(s.Endpoint, "any "):
			apiReply = s.Body
		default:
			continue
		}
		checked++
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			var tokenCalls, apiCalls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				switch r.URL.Path {
				case "/cgi-bin/stable_token":
					tokenCalls.Add(1)
					if tokenReply != "" {
						w.Write([]byte(tokenReply))
						return
					}
					w.Write([]byte(`{"access_token":"APP_TOKEN","expires_in":7200}`))
				case "/wxa/business/getuserphonenumber":
					apiCalls.Add(1)
					w.Write([]byte(apiReply))
				default:
					t.Errorf("client called %s", r.URL.Path)
				}
			}))
			defer srv.Close()
			cfg := &weixin.Config{AppID: "wxappid", AppSecret: "secret",
				Endpoint: weixin.Endpoint{OpenBaseURL: srv.URL, APIBaseURL: srv.URL},
				Timeout:  2 * time.Second, RetryBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
			src := cfg.AppTokenSource()
			_, err := src.PhoneNumber(context.Background(), "0123456789abcdef")
			if err == nil {
				t.Fatalf("%s: no error", s.Source)
			}
			code := 0
			var ae *weixin.APIError
			if errors.As(err, &ae) {
				code = ae.Code
			}
			status := core.Classify(err).Status
			switch {
			case tokenReply != "" && code == 0: // printed by PHP or Python: no reply
				if !errors.Is(err, weixin.ErrUpstream) || status != http.StatusBadGateway {
					t.Errorf("%s: %v", s.Expect, err)
				}
			case code == 40164:
				var ce *weixin.ConfigError
				if !errors.As(err, &ce) || !errors.Is(err, weixin.ErrIPNotWhitelisted) || !strings.Contains(ce.Fix, "IP whitelist") ||
					!strings.Contains(ce.Fix, strings.TrimRight(strings.Fields(strings.SplitN(ae.Message, "invalid ip ", 2)[1])[0], ",")) {
					t.Errorf("%s: %v", s.Expect, err)
				}
			case code == 45009:
				if !errors.Is(err, weixin.ErrDailyQuota) || core.Classify(err).Temporary {
					t.Errorf("%s: %v", s.Expect, err)
				}
			case code == 45011:
				if !errors.Is(err, weixin.ErrQuota) || !core.Classify(err).Temporary {
					t.Errorf("%s: %v", s.Expect, err)
				}
			case code == 40013 && apiReply != "": // the phone code of another app
				if !errors.Is(err, weixin.ErrCodeInvalid) || status != http.StatusBadRequest || tokenCalls.Load() != 1 || apiCalls.Load() != 1 {
					t.Errorf("%s: %v (%d)", s.Expect, err, status)
				}
			case code == 40001 && apiReply != "": // a stale token: re-read once, repeat once, report
				if !errors.Is(err, weixin.ErrAccessTokenInvalid) || status != http.StatusBadGateway || tokenCalls.Load() != 2 || apiCalls.Load() != 2 {
					t.Errorf("%s: %v (%d), %d stable_token and %d API calls, want 2 and 2", s.Expect, err, status, tokenCalls.Load(), apiCalls.Load())
				}
			default:
				t.Errorf("no check for %s (%v)", s.Endpoint, err)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "APP_TOKEN") {
				t.Errorf("the error holds a secret: %v", err)
			}
		})
	}
	if checked != 12 {
		t.Errorf("%d samples checked, want 12", checked)
	}
}
