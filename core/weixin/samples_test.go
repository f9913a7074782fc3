package weixin_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// sample is one recorded reply of core/testdata/weixin-samples.json (a copy,
// byte for byte, of the project's shared weixin-samples.json).
type sample struct {
	Endpoint    string `json:"endpoint"`
	Source      string `json:"source"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
	Expect      struct {
		OK              bool     `json:"ok"`
		Error           string   `json:"error"`
		Scopes          []string `json:"scopes"`
		UnionID         *string  `json:"unionid"`
		OpenID          string   `json:"openid"`
		Nickname        string   `json:"nickname"`
		City            string   `json:"city"`
		HeadImgURLHTTPS bool     `json:"headimgurl_https"`
		HeadImgURL      *string  `json:"headimgurl"`
		UnionIDFromTok  bool     `json:"unionid_from_token"`
		Privilege       []string `json:"privilege"`
	} `json:"expect"`
}

func loadSamples(t *testing.T) []sample {
	t.Helper()
	raw, err := os.ReadFile("../testdata/weixin-samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Samples []sample }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Samples) != 20 {
		t.Fatalf("%d samples, want 20", len(f.Samples))
	}
	return f.Samples
}

// sampleErrors maps each expected error of the samples to what a correct
// client answers: the sentinel, the HTTP status of a request failing on
// it, and whether the user must log in again. A sample whose error is
// not listed fails the test.
var sampleErrors = map[string]struct {
	is        error
	status    int
	mustLogIn bool
}{
	"snapshot visitor: not a login (403), never a 502": {weixin.ErrSnapshotUser, http.StatusForbidden, false},
	"invalid code: 400, log in again":                  {weixin.ErrCodeInvalid, http.StatusBadRequest, true},
	"code used: 400, log in again":                     {weixin.ErrCodeUsed, http.StatusBadRequest, true},
	"code used: 400":                                   {weixin.ErrCodeUsed, http.StatusBadRequest, true},
	"bad credentials: 502, operator's fault":           {weixin.ErrInvalidCredential, http.StatusBadGateway, false},
	"bad credentials: 502":                             {weixin.ErrInvalidCredential, http.StatusBadGateway, false},
	"400":                                              {weixin.ErrCodeInvalid, http.StatusBadRequest, true},
	"access token expired: refresh":                    {weixin.ErrAccessTokenExpired, http.StatusBadGateway, false},
	"login ended: log in again":                        {weixin.ErrRefreshTokenInvalid, http.StatusUnauthorized, true},
	"":                                                 {weixin.ErrInvalidOpenID, http.StatusBadGateway, false}, // /sns/auth, 40003
}

// Every recorded reply, served as recorded (body and content type, HTTP
// 200), goes through the real client, which concludes what the sample's
// expect says.
func TestRecordedReplies(t *testing.T) {
	for i, s := range loadSamples(t) {
		t.Run(strings.TrimPrefix(s.Endpoint, "/sns/")+"/"+string(rune('a'+i)), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != s.Endpoint {
					t.Errorf("client called %s, want %s", r.URL.Path, s.Endpoint)
				}
				w.Header().Set("Content-Type", s.ContentType)
				w.Write([]byte(s.Body))
			}))
			defer srv.Close()
			cfg := &weixin.Config{
				AppID: "wxappid", AppSecret: "secret", RedirectURL: callbackURL,
				Endpoint: weixin.Endpoint{OpenBaseURL: srv.URL, APIBaseURL: srv.URL},
				Timeout:  2 * time.Second, RetryBackoff: time.Millisecond,
				Logger: slog.New(slog.DiscardHandler),
			}
			// The token the call is made with: its openid is the reply's,
			// its unionid one the reply may lack.
			var body struct {
				OpenID string `json:"openid"`
			}
			json.Unmarshal([]byte(s.Body), &body)
			tok := &weixin.Token{AccessToken: "AT", RefreshToken: "RT", OpenID: body.OpenID, UnionID: "unionid-of-token",
				RefreshExpiry: time.Now().Add(time.Hour)}
			if tok.OpenID == "" {
				tok.OpenID = "OPENID"
			}
			ctx := context.Background()

			var err error
			switch s.Endpoint {
			case "/sns/oauth2/access_token":
				var got *weixin.Token
				got, err = cfg.Exchange(ctx, "CODE")
				if err == nil {
					if s.Expect.Scopes != nil && !slices.Equal(got.Scopes, s.Expect.Scopes) {
						t.Errorf("scopes %q, want %q", got.Scopes, s.Expect.Scopes)
					}
					if s.Expect.UnionID != nil && got.UnionID != *s.Expect.UnionID {
						t.Errorf("unionid %q, want %q", got.UnionID, *s.Expect.UnionID)
					}
					if s.Expect.OpenID != "" && got.OpenID != s.Expect.OpenID {
						t.Errorf("openid %q, want %q", got.OpenID, s.Expect.OpenID)
					}
					if got.AccessToken == "" || got.IsSnapshotUser {
						t.Errorf("token %v", got)
					}
				}
			case "/sns/oauth2/refresh_token":
				var got *weixin.Token
				got, err = cfg.Refresh(ctx, tok)
				if err == nil && (got.AccessToken != "ACCESS_TOKEN" || got.UnionID != tok.UnionID) {
					t.Errorf("refreshed token %v (unionid %q): the old unionid must be kept", got, got.UnionID)
				}
			case "/sns/auth":
				err = cfg.CheckToken(ctx, tok)
			case "/sns/userinfo":
				var u *weixin.UserInfo
				u, err = cfg.UserInfo(ctx, tok, weixin.LangZhCN)
				if err == nil {
					e := s.Expect
					if e.Nickname != "" && u.Nickname != e.Nickname {
						t.Errorf("nickname %q, want %q", u.Nickname, e.Nickname)
					}
					if e.City != "" && u.City != e.City {
						t.Errorf("city %q, want %q", u.City, e.City)
					}
					if e.HeadImgURLHTTPS && !strings.HasPrefix(u.HeadImgURL, "https://") {
						t.Errorf("avatar %q not rewritten to https", u.HeadImgURL)
					}
					if e.HeadImgURL != nil && u.HeadImgURL != *e.HeadImgURL {
						t.Errorf("avatar %q, want %q", u.HeadImgURL, *e.HeadImgURL)
					}
					if e.UnionIDFromTok && u.UnionID != tok.UnionID {
						t.Errorf("unionid %q, want the token's", u.UnionID)
					}
					if e.Privilege != nil && !slices.Equal(u.Privilege, e.Privilege) {
						t.Errorf("privilege %q, want %q", u.Privilege, e.Privilege)
					}
					if !json.Valid(u.Raw) {
						t.Error("Raw is not the reply")
					}
				}
			default:
				t.Fatalf("unknown endpoint %s", s.Endpoint)
			}

			if s.Expect.OK {
				if err != nil {
					t.Fatalf("%s: %v", s.Source, err)
				}
				return
			}
			want, ok := sampleErrors[s.Expect.Error]
			if !ok {
				t.Fatalf("no check for expected error %q", s.Expect.Error)
			}
			if !errors.Is(err, want.is) || core.Classify(err).Status != want.status || mustLogIn(err) != want.mustLogIn {
				t.Fatalf("%s: err %v (status %d, must log in %v), want %v, %d, %v", s.Source, err,
					core.Classify(err).Status, mustLogIn(err), want.is, want.status, want.mustLogIn)
			}
			var ue *weixin.UpstreamError
			if errors.As(err, &ue) {
				t.Errorf("an upstream error (502) for a reply WeChat sent on purpose: %v", err)
			}
		})
	}
}
