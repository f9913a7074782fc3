package examples

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// screenshotDir is where the browser test keeps its screenshots.
const screenshotDir = "screenshots"

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

// newBrowserCtx starts a headless chromium with a fresh profile.
func newBrowserCtx(t *testing.T, exe string) context.Context {
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
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

func screenshot(t *testing.T, name string, buf *[]byte) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := chromedp.FullScreenshot(buf, 100).Do(ctx); err != nil { // quality 100: PNG
			return err
		}
		if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(screenshotDir, name)
		t.Logf("screenshot: examples/%s", path)
		return os.WriteFile(path, *buf, 0o644)
	})
}

// A person's path through the dev mode: index → login → the fake's
// consent page → confirm → /me shows the nickname; and the same through
// the embedded QR-code page.
func TestBrowserDevModeLogin(t *testing.T) {
	skipIfShort(t, "the browser test")
	exe := chromium(t)
	p := start(t, "nethttp") // dev mode: no WEIXIN_APPID
	ctx := newBrowserCtx(t, exe)

	var nickname string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(p.base+"/"),
		chromedp.WaitVisible("#login", chromedp.ByQuery),
		chromedp.Click("#login", chromedp.ByQuery),
		chromedp.WaitVisible("#user-u1", chromedp.ByQuery), // the fake WeChat's consent page
		screenshot(t, "consent.png", &shot),
		chromedp.Click("#user-u1", chromedp.ByQuery),
		chromedp.WaitVisible("#nickname", chromedp.ByQuery),
		chromedp.Text("#nickname", &nickname, chromedp.ByQuery),
		screenshot(t, "me.png", &shot),
	)
	if err != nil {
		t.Fatalf("redirect login: %v\n%s", err, p.log)
	}
	if nickname != "张三" {
		t.Errorf("/me shows %q, want 张三", nickname)
	}

	// The embedded QR code, in a fresh browser.
	ctx = newBrowserCtx(t, exe)
	var frames []*cdp.Node
	err = chromedp.Run(ctx,
		chromedp.Navigate(p.base+"/login"),
		chromedp.WaitVisible("#qrcode iframe", chromedp.ByQuery),
		chromedp.Nodes("#qrcode iframe", &frames, chromedp.ByQuery),
	)
	if err != nil || len(frames) == 0 {
		t.Fatalf("embedded page: %v", err)
	}
	err = chromedp.Run(ctx,
		chromedp.WaitVisible("#user-u2", chromedp.ByQuery, chromedp.FromNode(frames[0])),
		screenshot(t, "embedded.png", &shot),
		chromedp.Click("#user-u2", chromedp.ByQuery, chromedp.FromNode(frames[0])),
		chromedp.WaitVisible("#nickname", chromedp.ByQuery),
		chromedp.Text("#nickname", &nickname, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("embedded login: %v\n%s", err, p.log)
	}
	if nickname != "Lily 🌸✨" {
		t.Errorf("after the embedded login /me shows %q", nickname)
	}
}
