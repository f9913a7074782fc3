package weixintest_test

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/wxlogin/wxlogin/weixintest"
)

var pollAnswer = regexp.MustCompile(`^window\.wx_errcode=(\d+);window\.wx_code='([^']*)';$`)

// poll asks the fake's long poll for uuid's status, having seen last.
func poll(t *testing.T, srv *weixintest.Server, uuid string, last int) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + weixintest.PathLongPoll + "?uuid=" + uuid + "&last=" + strconv.Itoa(last))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := pollAnswer.FindStringSubmatch(string(b))
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("poll: %d %s", resp.StatusCode, b)
	}
	n, _ := strconv.Atoi(m[1])
	return n, m[2]
}

// qrPage opens the embedded QR page (as wxLogin.js does) for state and
// returns the page and its uuid.
func qrPage(t *testing.T, srv *weixintest.Server, state, selfRedirect string) (string, string) {
	t.Helper()
	page := get200(t, srv.URL+"/connect/qrconnect?appid="+weixintest.DefaultAppID+"&scope=snsapi_login&redirect_uri="+
		url.QueryEscape("https://app.example/cb?x=1")+"&state="+state+"&login_type=jssdk&self_redirect="+selfRedirect)
	uuid, ok := srv.PendingScan(state)
	if !ok {
		t.Fatalf("no QR code pending for %s: %s", state, page)
	}
	return page, uuid
}

// The embedded QR page: a real QR code of the phone page, a long poll
// shaped as WeChat's (408 waiting, 404 scanned, 405 with the code), and
// a confirmation made elsewhere, on the phone page.
func TestQRPageScanOnThePhone(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	page, uuid := qrPage(t, srv, "st1", "default")
	phone := srv.URL + weixintest.PathPhone + "?uuid=" + uuid
	for _, want := range []string{`src="` + weixintest.PathQRImage + uuid + `"`, `id="phone" href="` + phone + `"`, "window.top.location.href = u"} {
		if !strings.Contains(page, want) {
			t.Errorf("QR page lacks %s", want)
		}
	}
	if !regexp.MustCompile(`selfRedirect = \s*false\b`).MatchString(page) {
		t.Error("self_redirect=default must navigate the top window")
	}
	if p, _ := qrPage(t, srv, "st2", "true"); !regexp.MustCompile(`selfRedirect = \s*true\b`).MatchString(p) {
		t.Error("self_redirect=true must navigate the iframe")
	}

	// The QR code is a PNG image (of the phone page's URL).
	resp, err := http.Get(srv.URL + weixintest.PathQRImage + uuid)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	decoded, err := png.Decode(bytes.NewReader(img))
	if err != nil || resp.Header.Get("Content-Type") != "image/png" || decoded.Bounds().Dx() < 200 {
		t.Fatalf("QR image: %v %q", err, resp.Header.Get("Content-Type"))
	}
	// Scannable: a QR reader finds the phone page's URL in it.
	bmp, err := gozxing.NewBinaryBitmapFromImage(decoded)
	if err != nil {
		t.Fatal(err)
	}
	// A pure barcode (the image is the code, square to the pixels): without
	// the hint the finder-pattern search misses about one code in 300.
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err != nil || res.GetText() != phone {
		t.Errorf("the QR code reads %v (%v), want %s", res, err, phone)
	}

	if s, _ := poll(t, srv, uuid, weixintest.ScanScanned); s != weixintest.ScanWaiting {
		t.Errorf("before the scan: %d", s)
	}
	// The phone opens the QR code's URL: scanned.
	phonePage := get200(t, phone)
	if !strings.Contains(phonePage, `id="user-u2"`) || !strings.Contains(phonePage, srv.URL+"/mmopen/vi_32/") {
		t.Errorf("phone page: %s", phonePage)
	}
	if s, _ := poll(t, srv, uuid, weixintest.ScanWaiting); s != weixintest.ScanScanned {
		t.Errorf("after the scan: %d", s)
	}
	// A poll waiting when the phone confirms is answered with the code.
	done := make(chan [2]any)
	go func() {
		resp, err := http.Get(srv.URL + weixintest.PathLongPoll + "?uuid=" + uuid + "&last=404")
		if err != nil {
			done <- [2]any{err, nil}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- [2]any{nil, string(b)}
	}()
	resp, err = http.PostForm(srv.URL+weixintest.PathPhone, url.Values{"uuid": {uuid}, "user": {"u2"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `id="done"`) {
		t.Errorf("phone confirmation: %s", b)
	}
	got := <-done
	if got[0] != nil {
		t.Fatal(got[0])
	}
	m := pollAnswer.FindStringSubmatch(got[1].(string))
	if m == nil || m[1] != "405" || m[2] == "" {
		t.Fatalf("waiting poll: %v", got[1])
	}
	r := exchange(t, srv, weixintest.DefaultAppID, weixintest.DefaultAppSecret, m[2])
	if r["openid"] != srv.OpenID(weixintest.DefaultAppID, "u2") {
		t.Errorf("the scan's code: %v", r)
	}
	if _, ok := srv.PendingScan("st1"); ok {
		t.Error("a confirmed QR code is still pending")
	}
	if err := srv.ConfirmScan(uuid, "u1"); err == nil {
		t.Error("a QR code confirmed twice")
	}
}

func TestQRPageCancelExpireUnknown(t *testing.T) {
	srv := weixintest.NewServer()
	defer srv.Close()
	_, uuid := qrPage(t, srv, "c1", "false")
	if err := srv.ConfirmScan(uuid, "nobody"); err == nil {
		t.Error("unknown user confirmed")
	}
	if err := srv.CancelScan(uuid); err != nil {
		t.Fatal(err)
	}
	if s, code := poll(t, srv, uuid, weixintest.ScanWaiting); s != weixintest.ScanCancelled || code != "" {
		t.Errorf("cancelled: %d %q", s, code)
	}
	_, uuid = qrPage(t, srv, "e1", "false")
	srv.Advance(weixintest.QRLifetime)
	if s, _ := poll(t, srv, uuid, weixintest.ScanWaiting); s != weixintest.ScanExpired {
		t.Errorf("expired: %d", s)
	}
	if err := srv.ConfirmScan(uuid, "u1"); err == nil {
		t.Error("an expired QR code confirmed")
	}
	if page := get200(t, srv.URL+weixintest.PathPhone+"?uuid="+uuid); !strings.Contains(page, "该链接无法访问") {
		t.Errorf("phone page of an expired code: %s", page)
	}
	if s, _ := poll(t, srv, "nope", weixintest.ScanWaiting); s != weixintest.ScanExpired {
		t.Errorf("unknown uuid: %d", s)
	}
	// Close ends a waiting poll rather than waiting for it.
	_, uuid = qrPage(t, srv, "w1", "false")
	before := srv.Calls(weixintest.PathLongPoll)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL + weixintest.PathLongPoll + "?uuid=" + uuid)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for srv.Calls(weixintest.PathLongPoll) == before { // until the poll waits
		runtime.Gosched()
	}
	srv.Close()
	<-done
}
