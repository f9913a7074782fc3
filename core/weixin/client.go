package weixin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxResponseBytes caps the body read from WeChat. Real replies are under
// 2 KiB; a larger one is an *UpstreamError, not an allocation.
const MaxResponseBytes = 64 << 10

// DefaultTimeout bounds each API call, retries included, when
// Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// The operations named in errors and log lines.
const (
	opExchange = "exchange"
	opRefresh  = "refresh"
	opAuth     = "auth"
	opUserInfo = "userinfo"
)

// DefaultRetryBackoff is the wait before the first retry of a read when
// Config.RetryBackoff is zero.
const DefaultRetryBackoff = 200 * time.Millisecond

// maxAttempts is how many times a read is tried in all.
const maxAttempts = 3

var errBodyTooLarge = fmt.Errorf("reply larger than %d bytes", MaxResponseBytes)

func (c *Config) endpoint() Endpoint {
	e := c.Endpoint
	if e.OpenBaseURL == "" {
		e.OpenBaseURL = DefaultEndpoint.OpenBaseURL
	}
	if e.APIBaseURL == "" {
		e.APIBaseURL = DefaultEndpoint.APIBaseURL
	}
	e.OpenBaseURL = strings.TrimRight(e.OpenBaseURL, "/")
	e.APIBaseURL = strings.TrimRight(e.APIBaseURL, "/")
	return e
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Config) retryBackoff() time.Duration {
	if c.RetryBackoff > 0 {
		return c.RetryBackoff
	}
	return DefaultRetryBackoff
}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// get calls WeChat's API at path with query q and decodes the reply into
// out. Reads (retry true) are tried up to three times, with backoff, on
// "system busy", 5xx and network errors; the code exchange is tried once.
// The whole call, retries included, is bounded by c.Timeout.
func (c *Config) get(ctx context.Context, op, path string, q url.Values, retry bool, out any) error {
	return c.call(ctx, op, http.MethodGet, c.endpoint().APIBaseURL+path+"?"+q.Encode(), nil, retry, out)
}

// postJSON is get for the APIs that take a JSON body (/cgi-bin/stable_token):
// body is marshalled once and sent with each attempt.
func (c *Config) postJSON(ctx context.Context, op, path string, body any, retry bool, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return &UpstreamError{Op: op, Err: errors.New("request not encodable")}
	}
	return c.call(ctx, op, http.MethodPost, c.endpoint().APIBaseURL+path, b, retry, out)
}

// call is get and postJSON: body nil means GET.
func (c *Config) call(ctx context.Context, op, method, target string, body []byte, retry bool, out any) error {
	begun := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()

	var err error
	for attempt := 1; ; attempt++ {
		err = c.callOnce(ctx, op, method, target, body, out)
		if err == nil || !retry || attempt == maxAttempts || !worthRetrying(err) {
			break
		}
		wait := c.retryBackoff() << (attempt - 1)
		wait += rand.N(wait/2 + 1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			err = c.upstreamErr(ctx, op, 0, ctx.Err())
		case <-t.C:
			continue
		}
		break
	}
	c.report(ctx, op, time.Since(begun), err)
	if err != nil {
		c.logger().LogAttrs(ctx, slog.LevelWarn, "wxlogin: WeChat call failed",
			slog.String("op", op), slog.String("appid", c.AppID), slog.String("error", err.Error()))
	}
	return err
}

// report tells c.OnCall of a call.
func (c *Config) report(ctx context.Context, op string, d time.Duration, err error) {
	if c.OnCall != nil {
		c.OnCall(ctx, op, d, err)
	}
}

// worthRetrying reports whether a read that failed with err may succeed
// when sent again at once: system busy, 5xx, or no response at all (but
// not a timeout or cancellation: the time is gone).
func worthRetrying(err error) bool {
	if errors.Is(err, ErrSystemBusy) {
		return true
	}
	var ue *UpstreamError
	if !errors.As(err, &ue) || ue.Timeout || errors.Is(ue.Err, context.Canceled) {
		return false
	}
	return ue.StatusCode == 0 || ue.StatusCode >= 500
}

func (c *Config) callOnce(ctx context.Context, op, method, target string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		// Only a malformed base URL gets here; the message names no query.
		return &UpstreamError{Op: op, Err: errors.New("invalid API base URL")}
	}
	req.Header.Set("Accept", "application/json, text/plain")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return c.upstreamErr(ctx, op, 0, err)
	}
	defer resp.Body.Close()
	return decodeReply(ctx, op, resp, out)
}

// decodeReply reads WeChat's JSON reply (capped at MaxResponseBytes): an
// *APIError for a non-zero errcode, an *UpstreamError for a non-2xx
// status or a malformed body, else the reply decoded into out.
func decodeReply(ctx context.Context, op string, resp *http.Response, out any) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
		return &UpstreamError{Op: op, StatusCode: resp.StatusCode}
	}
	// WeChat sends JSON as text/plain (or anything else): ignore the
	// Content-Type and decode what comes.
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return (&Config{}).upstreamErr(ctx, op, resp.StatusCode, err)
	}
	if len(body) > MaxResponseBytes {
		return &UpstreamError{Op: op, StatusCode: resp.StatusCode, Err: errBodyTooLarge}
	}
	var status struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(body, &status); err != nil {
		return &UpstreamError{Op: op, StatusCode: resp.StatusCode, Err: errors.New("malformed JSON reply")}
	}
	if status.Errcode != 0 {
		return &APIError{Op: op, Code: status.Errcode, Message: truncate(status.Errmsg, 200)}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return &UpstreamError{Op: op, StatusCode: resp.StatusCode, Err: errors.New("malformed JSON reply")}
		}
	}
	return nil
}

// upstreamErr turns a transport error into an *UpstreamError that holds
// no URL: *url.Error prints the full request URL, and WeChat's URLs carry
// the secret, the code or the token.
func (c *Config) upstreamErr(ctx context.Context, op string, status int, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		timeout = true
	}
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		err = context.Canceled
	} else if timeout {
		err = context.DeadlineExceeded
	} else {
		err = sanitize(err)
	}
	return &UpstreamError{Op: op, StatusCode: status, Timeout: timeout, Err: err}
}

// sanitize keeps a transport error's message only when it cannot hold a
// URL; otherwise it keeps a generic description.
func sanitize(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return errors.New("request failed")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
