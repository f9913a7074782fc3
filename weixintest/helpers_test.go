package weixintest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/wxlogin/wxlogin/weixintest"
)

// get calls path on srv with params and decodes the JSON reply.
func get(t *testing.T, srv *weixintest.Server, path string, params url.Values) map[string]any {
	t.Helper()
	resp, err := http.Get(srv.URL + path + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d", path, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("%s: Content-Type %q, want text/plain as WeChat", path, ct)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func errcode(m map[string]any) int {
	n, _ := m["errcode"].(float64)
	return int(n)
}

func exchange(t *testing.T, srv *weixintest.Server, appID, secret, code string) map[string]any {
	t.Helper()
	return get(t, srv, weixintest.PathAccessToken, url.Values{
		"appid": {appID}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}})
}
