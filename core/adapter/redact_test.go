package adapter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core/adapter"
)

func TestRedactQuery(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"next=%2Fme", "next=%2Fme"},
		{"code=0a1b2c&state=S3cr3tState", "code=REDACTED&state=REDACTED"},
		// order and the other parameters kept, byte for byte
		{"x=1&code=abc&y=%20two&state=def&z", "x=1&code=REDACTED&y=%20two&state=REDACTED&z"},
		// repeated keys: every value hidden
		{"code=a&code=b&state=c&state=d", "code=REDACTED&code=REDACTED&state=REDACTED&state=REDACTED"},
		// ";" separates too: neither the code nor what follows is lost
		{"code=abc;x", "code=REDACTED;x"},
		{"x;code=abc;state=def&y=2", "x;code=REDACTED;state=REDACTED&y=2"},
		// encoded, upper-case or padded keys
		{"c%6Fde=abc&%73tate=def", "c%6Fde=REDACTED&%73tate=REDACTED"},
		{"CODE=abc&State=def", "CODE=REDACTED&State=REDACTED"},
		{"code+=abc&%2563ode=def", "code+=REDACTED&%2563ode=REDACTED"},
		// a key that does not decode: its value is hidden, nothing lost
		{"c%zzode=abc&x=%zz", "c%zzode=REDACTED&x=%zz"},
		// empty values stay empty (a declined login has no code)
		{"code=&state=abc", "code=&state=REDACTED"},
		{"code&state", "code&state"},
		// a value holding "=" is hidden whole
		{"code=a=b=c&x=1", "code=REDACTED&x=1"},
		// tokens, tickets, secrets, keys
		{"access_token=t1&refresh_token=t2&token=t3&ticket=t4&secret=t5&session_key=t6&js_code=t7&csrf_token=t8",
			"access_token=REDACTED&refresh_token=REDACTED&token=REDACTED&ticket=REDACTED&secret=REDACTED&session_key=REDACTED&js_code=REDACTED&csrf_token=REDACTED"},
		{"appid=wx123&lang=zh_CN&errcode=40029", "appid=wx123&lang=zh_CN&errcode=40029"},
		// separators only
		{"&&;", "&&;"},
		{"code=abc&", "code=REDACTED&"},
	} {
		if got := adapter.RedactQuery(tt.in); got != tt.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Whatever the query, no value of a secret key that net/url (or a server
// splitting on ";") would read survives, and the parameters net/url reads
// keep their order and count.
func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{"code=abc&state=def", "code=abc;x", "c%6Fde=abc", "x=%zz&code=1", "a=1&&b=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := adapter.RedactQuery(q)
		if strings.Count(got, "&")+strings.Count(got, ";") != strings.Count(q, "&")+strings.Count(q, ";") {
			t.Fatalf("RedactQuery(%q) = %q: parameters lost or added", q, got)
		}
		for _, part := range strings.FieldsFunc(got, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, ok := strings.Cut(part, "=")
			if !ok || v == "" || v == "REDACTED" {
				continue
			}
			if dk, err := url.QueryUnescape(k); err == nil && (strings.EqualFold(strings.TrimSpace(dk), "code") || strings.EqualFold(strings.TrimSpace(dk), "state")) {
				t.Fatalf("RedactQuery(%q) = %q: %s=%s left", q, got, k, v)
			}
		}
		if adapter.RedactQuery(got) != got {
			t.Fatalf("RedactQuery is not idempotent on %q", q)
		}
	})
}

func TestLogAccess(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	adapter.LogAccess(context.Background(), logger, adapter.Access{
		Method: "GET", Path: "/auth/weixin/callback", RawQuery: "code=CODE-1&state=STATE-1&x=1",
		Status: 302, Bytes: 12, Duration: 3 * time.Millisecond, RemoteAddr: "127.0.0.1:5555",
	})
	line := buf.String()
	if strings.Contains(line, "CODE-1") || strings.Contains(line, "STATE-1") {
		t.Fatalf("the code or the state is logged: %s", line)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	for k, want := range map[string]any{
		"level": "INFO", "msg": "request", "method": "GET", "path": "/auth/weixin/callback",
		"query": "code=REDACTED&state=REDACTED&x=1", "status": 302.0, "bytes": 12.0,
		"duration": float64(3 * time.Millisecond), "remote_addr": "127.0.0.1:5555",
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}

	// Below Info, nothing is written.
	buf.Reset()
	quiet := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	adapter.LogAccess(context.Background(), quiet, adapter.Access{Method: "GET", Path: "/"})
	if buf.Len() != 0 {
		t.Errorf("logged below its level: %s", buf.String())
	}
}

func BenchmarkRedactQuery(b *testing.B) {
	for _, q := range []string{"next=%2Fme&lang=en", "code=0a1b2c3d4e5f&state=AbCdEfGhIjKlMnOpQrSt"} {
		b.Run(q[:4], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				adapter.RedactQuery(q)
			}
		})
	}
}
