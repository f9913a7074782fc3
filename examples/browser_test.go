package examples

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium (or another Chrome). Without one the
// test skips, except in CI (CI=true), where a missing browser fails.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on this machine: CI must install it (apt-get install -y chromium)")
	}
	t.Skip("browser test skipped: no chromium on this machine (on Debian: apt-get install chromium)")
	return ""
}

// newBrowserCtx starts a headless chromium with a fresh profile, for at
// most a minute.
func newBrowserCtx(t *testing.T, exe string) context.Context {
	return newBrowserCtxFor(t, exe, 60*time.Second)
}

// newBrowserCtxFor is newBrowserCtx for at most d: a bound against
// hanging, not a measure of speed.
func newBrowserCtxFor(t *testing.T, exe string, d time.Duration) context.Context {
	// Not t.TempDir: chromium may still be writing its profile when the
	// test ends, and a failed removal would fail the test.
	profile, err := os.MkdirTemp("", "wxlogin-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 10 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),

		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 800),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, d)
	t.Cleanup(cancel3)
	return ctx
}

// screenshots returns the folder the browser test writes its
// screenshots to: $WXLOGIN_SCREENSHOTS when set, else a new temporary
// folder, kept after the test so that a person can look at them.
func screenshots(t *testing.T) string {
	dir := os.Getenv("WXLOGIN_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "wxlogin-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var buf []byte
		if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil { // quality 100: PNG
			return err
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			return err
		}
		t.Logf("screenshot: %s", path)
		return nil
	})
}

// frameTarget attaches to the out-of-process iframe whose URL contains
// urlPart.
func frameTarget(ctx context.Context, urlPart string) (context.Context, context.CancelFunc, error) {
	for range 100 {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, ti := range targets {
			if ti.Type == "iframe" && strings.Contains(ti.URL, urlPart) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
				return fctx, cancel, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, nil, fmt.Errorf("no iframe target at %s", urlPart)
}

// avatarShown waits until the /me page's avatar has loaded as an image.
func avatarShown(ctx context.Context) error {
	return chromedp.Poll(`(function () { var i = document.querySelector("#avatar"); return i && i.complete && i.naturalWidth > 0; })()`,
		nil, chromedp.WithPollingTimeout(10*time.Second)).Do(ctx)
}

// sessionAvatar returns the avatar URL kept in the session (/api/me).
func sessionAvatar(ctx context.Context, base string) (string, error) {
	var me struct {
		HeadImgURL string `json:"headimgurl"`
	}
	var raw string
	err := chromedp.Run(ctx, chromedp.Evaluate(`fetch(`+"`"+base+`/api/me`+"`"+`).then(r => r.text())`, &raw,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if err != nil {
		return "", err
	}
	err = json.Unmarshal([]byte(raw), &me)
	return me.HeadImgURL, err
}

// A person's path through the dev mode: index → login → the fake's
// consent page → confirm → /me shows the nickname and the avatar.
func TestBrowserDevModeLogin(t *testing.T) {
	skipIfShort(t, "the browser test")
	exe := chromium(t)
	dir := screenshots(t)
	p := start(t, "nethttp") // dev mode: no WEIXIN_APPID
	ctx := newBrowserCtx(t, exe)

	var nickname string
	err := chromedp.Run(ctx,
		chromedp.Navigate(p.base+"/"),
		chromedp.WaitVisible("#login", chromedp.ByQuery),
		chromedp.Click("#login", chromedp.ByQuery),
		chromedp.WaitVisible("#user-u1", chromedp.ByQuery), // the fake WeChat's consent page
		screenshot(t, dir, "consent.png"),
		chromedp.Click("#user-u1", chromedp.ByQuery),
		chromedp.WaitVisible("#nickname", chromedp.ByQuery),
		chromedp.Text("#nickname", &nickname, chromedp.ByQuery),
		chromedp.ActionFunc(avatarShown),
		screenshot(t, dir, "me.png"),
	)
	if err != nil {
		t.Fatalf("redirect login: %v\n%s", err, p.log)
	}
	if nickname != "张三" {
		t.Errorf("/me shows %q, want 张三", nickname)
	}
	// The session keeps WeChat's avatar URL, rewritten to https by core;
	// the dev-mode page shows the fake's copy of it.
	if avatar, err := sessionAvatar(ctx, p.base); err != nil || !strings.HasPrefix(avatar, "https://thirdwx.qlogo.cn/mmopen/") {
		t.Errorf("avatar in the session: %q, %v", avatar, err)
	}
}

// The embedded QR code as on WeChat: /login shows the QR code in
// wxLogin.js's iframe, the person confirms on the "phone" (the fake's
// page the QR code points to, opened in another tab), and the iframe
// sends the whole window to the callback by itself, with no click in the
// iframe; /me then shows the user and the avatar.
func TestBrowserEmbeddedQRScan(t *testing.T) {
	exe := chromium(t)
	dir := screenshots(t)
	// The site on localhost, the fake WeChat on 127.0.0.1: another site,
	// as open.weixin.qq.com is to a real site, so that the browser's
	// rules for a cross-site frame navigating the window apply.
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	base := "http://localhost:" + port
	p := startAt(t, "nethttp", addr, "PUBLIC_URL="+base)
	p.base = base
	ctx := newBrowserCtx(t, exe)

	var phone string
	var ok bool
	err := chromedp.Run(ctx,
		chromedp.Navigate(p.base+"/login"),
		chromedp.WaitVisible("#qrcode iframe", chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("embedded page: %v\n%s", err, p.log)
	}
	// WeChat's iframe is another site: its own target (out of process).
	frameCtx, cancelFrame, err := frameTarget(ctx, "/connect/qrconnect?")
	if err != nil {
		t.Fatalf("QR iframe: %v", err)
	}
	defer cancelFrame()
	err = chromedp.Run(frameCtx,
		chromedp.WaitVisible("#qrcode.loaded", chromedp.ByQuery), // the QR image
		chromedp.AttributeValue("#phone", "href", &phone, &ok, chromedp.ByQuery),
	)
	if err == nil {
		err = chromedp.Run(ctx, screenshot(t, dir, "qrcode.png"))
	}
	if err != nil || !ok || !strings.Contains(phone, "/connect/confirm?uuid=") {
		t.Fatalf("QR page: %v, phone link %q\n%s", err, phone, p.log)
	}

	// The phone: another tab of the same browser.
	phoneCtx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	err = chromedp.Run(phoneCtx,
		chromedp.Navigate(phone),
		chromedp.WaitVisible("#user-u2", chromedp.ByQuery),
		screenshot(t, dir, "phone.png"),
		chromedp.Click("#user-u2", chromedp.ByQuery),
		chromedp.WaitVisible("#done", chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("phone page: %v\n%s", err, p.log)
	}

	var nickname, location string
	err = chromedp.Run(ctx,
		chromedp.WaitVisible("#nickname", chromedp.ByQuery),
		chromedp.Text("#nickname", &nickname, chromedp.ByQuery),
		chromedp.Location(&location),
		chromedp.ActionFunc(avatarShown),
		screenshot(t, dir, "me-embedded.png"),
	)
	if err != nil {
		t.Fatalf("after the scan: %v\n%s", err, p.log)
	}
	if nickname != "Lily 🌸✨" || location != p.base+"/me" {
		t.Errorf("after the scan the window is at %s showing %q", location, nickname)
	}
	if avatar, err := sessionAvatar(ctx, p.base); err != nil || !strings.HasPrefix(avatar, "https://thirdwx.qlogo.cn/mmopen/") {
		t.Errorf("avatar in the session: %q, %v", avatar, err)
	}
}

// What a Chinese visitor sees, in a browser asking for zh-CN: the QR
// page and an error page (a callback whose state is forged), both in
// Chinese with lang="zh-CN", drawn with the CJK font CI installs
// (fonts-wqy-zenhei). docs/screenshot-qrcode.zh-CN.png and
// docs/screenshot-error.zh-CN.png are two of these screenshots.
func TestBrowserChinesePages(t *testing.T) {
	skipIfShort(t, "the browser test")
	exe := chromium(t)
	dir := screenshots(t)
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	base := "http://localhost:" + port // another site than the fake's 127.0.0.1, as in TestBrowserEmbeddedQRScan
	p := startAt(t, "nethttp", addr, "PUBLIC_URL="+base)
	ctx := newBrowserCtx(t, exe)

	var lang, title string
	err := chromedp.Run(ctx,
		network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible("#qrcode iframe", chromedp.ByQuery),
		chromedp.AttributeValue("html", "lang", &lang, nil, chromedp.ByQuery),
		chromedp.Text("h1", &title, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("QR page: %v\n%s", err, p.log)
	}
	if lang != "zh-CN" || title != "使用微信扫一扫登录" {
		t.Errorf("QR page: lang %q, title %q", lang, title)
	}
	frameCtx, cancelFrame, err := frameTarget(ctx, "/connect/qrconnect?")
	if err != nil {
		t.Fatalf("QR iframe: %v", err)
	}
	defer cancelFrame()
	if err := chromedp.Run(frameCtx, chromedp.WaitVisible("#qrcode.loaded", chromedp.ByQuery)); err != nil {
		t.Fatalf("QR image: %v", err)
	}
	if err := chromedp.Run(ctx, screenshot(t, dir, "qrcode.zh-CN.png")); err != nil {
		t.Fatal(err)
	}

	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/auth/weixin/callback?code=CODE&state=FORGEDFORGEDFORGEDFORGED"),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.AttributeValue("html", "lang", &lang, nil, chromedp.ByQuery),
		chromedp.Text("h1", &title, chromedp.ByQuery),
		screenshot(t, dir, "error.zh-CN.png"),
	)
	if err != nil {
		t.Fatalf("error page: %v\n%s", err, p.log)
	}
	if lang != "zh-CN" || title != "登录失败" {
		t.Errorf("error page: lang %q, title %q", lang, title)
	}
}
