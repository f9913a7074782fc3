package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/wxlogin/wxlogin/core"
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
		{core.ErrStateMissing, 400, core.CodeStateInvalid},
		{fmt.Errorf("wrapped: %w", core.ErrStateInvalid), 400, core.CodeStateInvalid},
		{core.ErrStateUsed, 400, core.CodeStateInvalid},
		{core.ErrStateExpired, 400, core.CodeStateExpired},
		{&core.APIError{Op: "exchange", Code: 40163}, 400, core.CodeCodeInvalid},
		{&core.APIError{Op: "exchange", Code: 40029}, 400, core.CodeCodeInvalid},
		{core.ErrLoginDeclined, 403, core.CodeDeclined},
		{fmt.Errorf("%w: no", core.ErrLoginRejected), 403, core.CodeRejected},
		{core.ErrSnapshotUser, 403, core.CodeSnapshotUser},
		{fmt.Errorf("%w: %w", core.ErrLoginRequired, &core.APIError{Op: "refresh", Code: 42002}), 401, core.CodeLoginRequired},
		{core.ErrMethodNotAllowed, 405, core.CodeMethodNotAllowed},
		{fmt.Errorf("%w: refused", core.ErrSessionStore), 503, core.CodeSessionStore},
		{&core.UpstreamError{Op: "userinfo", Timeout: true, Err: context.DeadlineExceeded}, 504, core.CodeUpstream},
		{&core.UpstreamError{Op: "userinfo", StatusCode: 502}, 502, core.CodeUpstream},
		{&core.APIError{Op: "userinfo", Code: -1}, 502, core.CodeUpstream},
		{&core.APIError{Op: "exchange", Code: 40125}, 502, core.CodeUpstream},
		{errors.New("something else"), 500, core.CodeInternal},
	} {
		c := core.Classify(tt.err)
		if c.Status != tt.status || c.Code != tt.code || c.Title == "" || c.Message == "" {
			t.Errorf("Classify(%v) = %+v, want %d %s", tt.err, c, tt.status, tt.code)
		}
		if got := core.HTTPStatus(tt.err); got != tt.status {
			t.Errorf("HTTPStatus(%v) = %d", tt.err, got)
		}
		if r := e.auth.ErrorResponse(context.Background(), tt.err); r.Status != tt.status {
			t.Errorf("ErrorResponse(%v): %d", tt.err, r.Status)
		}
		r := e.auth.JSONErrorResponse(tt.err)
		var body struct {
			Error    string `json:"error"`
			LoginURL string `json:"login_url"`
			Status   int    `json:"status"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != tt.status || body.Error != tt.code {
			t.Errorf("JSONErrorResponse(%v): %d %s", tt.err, r.Status, r.Body)
		}
		if (body.LoginURL != "") != (tt.code == core.CodeLoginRequired) || (body.Status != 0) != (tt.code == core.CodeUpstream) {
			t.Errorf("JSONErrorResponse(%v) body %s", tt.err, r.Body)
		}
	}
	if c := core.Classify(nil); c.Status != http.StatusOK || c.Code != "" {
		t.Errorf("Classify(nil) = %+v", c)
	}
}
