package core_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/weixintest"
)

// Runs logins, refreshes and calls that fail in every way the fake can
// fail, then checks that no secret, code or token sent to WeChat appears
// in any log line or error string.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := newEnv(t, func(o *core.Options) {
		o.Website.Timeout = 100 * time.Millisecond
		o.RefreshTimeout = 100 * time.Millisecond
	})
	var errs []error
	note := func(err error) {
		if err == nil {
			t.Helper()
			t.Fatal("scenario did not fail")
		}
		errs = append(errs, err)
	}
	faults := []weixintest.Fault{
		{Errcode: 40029}, {Errcode: 40125}, {Errcode: -1}, {Status: 500}, {Malformed: true},
		{BodySize: 1 << 20}, {Delay: time.Second},
	}
	for _, f := range faults {
		b := e.browser()
		q := e.approve(b.begin(core.LoginRequest{}), "u1")
		e.srv.InjectFault(weixintest.PathAccessToken, f)
		_, err := b.callback(q)
		note(err)
		e.srv.ClearFaults()

		b.login("u2")
		e.srv.InjectFault(weixintest.PathUserInfo, f)
		b2 := e.browser()
		_, err = b2.callback(e.approve(b2.begin(core.LoginRequest{}), "u3"))
		note(err)
		e.srv.ClearFaults()

		e.srv.Advance(3 * time.Hour)
		e.srv.InjectFault(weixintest.PathRefreshToken, f)
		_, err = b.tokenReq()
		note(err)
		e.srv.ClearFaults()
	}
	for _, code := range []int{40030, 42002} {
		b := e.browser()
		b.login("u1")
		e.srv.Advance(3 * time.Hour)
		e.srv.InjectFault(weixintest.PathRefreshToken, weixintest.Fault{Errcode: code})
		_, err := b.tokenReq()
		note(err)
		e.srv.ClearFaults()
	}
	// A callback with a code whose state is wrong never reaches WeChat,
	// but its error must not echo the code either.
	_, err := e.browser().callback(url.Values{"state": {"WRONG"}, "code": {"code-from-the-query"}})
	note(err)

	secrets := map[string]bool{weixintest.DefaultAppSecret: true, weixintest.DefaultMPAppSecret: true, "code-from-the-query": true}
	for _, c := range e.srv.Log() {
		for _, k := range []string{"secret", "code", "access_token", "refresh_token"} {
			if v := c.Query.Get(k); len(v) >= 8 {
				secrets[v] = true
			}
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("only %d secrets collected: the scenarios did not run", len(secrets))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "wxlogin") {
		t.Fatal("nothing was logged: the check would prove nothing")
	}
	for s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a log line contains the secret %q", s)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains the secret %q", err, s)
			}
		}
	}
}
