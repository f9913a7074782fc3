package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// One table decides status, code and words of every error; the HTML
// page, the JSON body and HTTPStatus agree with it.
func TestClassify(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{core.ErrStateMissing, 400, "state_invalid"},
		{fmt.Errorf("wrapped: %w", core.ErrStateInvalid), 400, "state_invalid"},
		{core.ErrStateUsed, 400, "state_invalid"},
		{core.ErrStateExpired, 400, "state_expired"},
		{&weixin.APIError{Op: "exchange", Code: 40163}, 400, "code_invalid"},
		{&weixin.APIError{Op: "exchange", Code: 40029}, 400, "code_invalid"},
		{core.ErrLoginDeclined, 403, "declined"},
		{fmt.Errorf("%w: no", core.ErrLoginRejected), 403, "rejected"},
		{weixin.ErrSnapshotUser, 403, "snapshot_user"},
		{fmt.Errorf("%w: %w", core.ErrLoginRequired, &weixin.APIError{Op: "refresh", Code: 42002}), 401, "login_required"},
		{core.ErrMethodNotAllowed, 405, "method_not_allowed"},
		{fmt.Errorf("%w: refused", core.ErrSessionStore), 503, "session_store"},
		{&weixin.UpstreamError{Op: "userinfo", Timeout: true, Err: context.DeadlineExceeded}, 504, "upstream"},
		{&weixin.UpstreamError{Op: "userinfo", StatusCode: 502}, 502, "upstream"},
		{&weixin.APIError{Op: "userinfo", Code: -1}, 502, "upstream"},
		{&weixin.APIError{Op: "exchange", Code: 40125}, 502, "upstream"},
		{errors.New("something else"), 500, "internal"},
	} {
		c := core.Classify(tt.err)
		if c.Status != tt.status || c.Code != tt.code || c.Title == "" || c.Message == "" {
			t.Errorf("Classify(%v) = %+v, want %d %s", tt.err, c, tt.status, tt.code)
		}
		if got := core.Classify(tt.err).Status; got != tt.status {
			t.Errorf("HTTPStatus(%v) = %d", tt.err, got)
		}
		if r := e.auth.Adapter().ErrorResponse(context.Background(), tt.err); r.Status != tt.status {
			t.Errorf("ErrorResponse(%v): %d", tt.err, r.Status)
		}
		r := e.auth.Adapter().JSONErrorResponse(tt.err)
		var body struct {
			Error    string `json:"error"`
			LoginURL string `json:"login_url"`
			Status   int    `json:"status"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != tt.status || body.Error != tt.code {
			t.Errorf("JSONErrorResponse(%v): %d %s", tt.err, r.Status, r.Body)
		}
		if (body.LoginURL != "") != (tt.code == "login_required") || (body.Status != 0) != (tt.code == "upstream") {
			t.Errorf("JSONErrorResponse(%v) body %s", tt.err, r.Body)
		}
	}
	if c := core.Classify(nil); c.Status != http.StatusOK || c.Code != "" {
		t.Errorf("Classify(nil) = %+v", c)
	}
}
