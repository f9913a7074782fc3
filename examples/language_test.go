package examples

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxlogin/wxlogin/internal/browsertest"
	"github.com/wxlogin/wxlogin/weixintest"
)

// isHan reports whether r is a CJK ideograph.
func isHan(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }

// Every page a visitor sees, in the visitor's language, on all three
// examples: Accept-Language zh-CN (q-values included) gives Chinese with
// lang="zh-CN", en English with lang="en", and WeChat's browser without
// an Accept-Language Chinese. The user is Alice: no Chinese in her name.
func TestContractLanguages(t *testing.T) {
	const wechatUA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI"
	type words struct{ lang, home, qr, me, failed, cancelled, notAllowed string }
	zh := words{"zh-CN", "微信登录", "使用微信扫一扫登录", "退出登录", "登录失败", "登录已取消", "不支持的请求方式"}
	en := words{"en", "Log in with WeChat", "Scan with WeChat", "Log out", "Login failed", "Login cancelled", "Method not allowed"}
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, wechatEnv(wx, false)...)
		for _, tt := range []struct {
			name, acceptLanguage, ua string
			want                     words
		}{
			{"zh-CN", "zh-CN,zh;q=0.9", "", zh},
			{"en", "en", "", en},
			{"q-values", "zh-CN;q=0.5,en-US;q=0.8", "", en},
			{"unknown", "fr-FR,fr;q=0.9", "", zh},
			{"WeChat", "", wechatUA, zh},
			{"none", "", "", zh},
		} {
			b := browsertest.New(t, p.base)
			b.AcceptLanguage, b.UA = tt.acceptLanguage, tt.ua
			w := tt.want
			check := func(what string, r browsertest.Response, status int, words string) {
				t.Helper()
				if r.StatusCode != status || !strings.Contains(r.Body, `<html lang="`+w.lang+`">`) || !strings.Contains(r.Body, words) {
					t.Errorf("%s, %s: %d, want %d with lang %s and %q:\n%s", tt.name, what, r.StatusCode, status, w.lang, words, r.Body)
				}
				if han := strings.ContainsFunc(r.Body, isHan); han != (w.lang == "zh-CN") {
					t.Errorf("%s, %s: Chinese characters %v in a page in %s", tt.name, what, han, w.lang)
				}
			}
			check("/", b.Get("/"), 200, w.home)

			r := b.Get("/login")
			check("/login", r, 200, w.qr)
			if (w.lang == "en") != strings.Contains(r.Body, `"lang":"en"`) {
				t.Errorf("%s: the QR code's language: %s", tt.name, r.Body)
			}

			r = b.Get("/auth/weixin/login")
			if loc := r.Header.Get("Location"); r.StatusCode != 302 || (w.lang == "en") != strings.Contains(loc, "&lang=en") {
				t.Errorf("%s: login: %d %s", tt.name, r.StatusCode, loc)
			}
			cb, err := wx.Authorize(r.Header.Get("Location"), "u3")
			if err != nil {
				t.Fatal(err)
			}
			forged, _ := url.Parse(cb.String())
			q := forged.Query()
			q.Set("state", "FORGEDFORGEDFORGEDFORGED")
			forged.RawQuery = q.Encode()
			check("forged state", b.Get(forged.String()), 400, w.failed)

			b.Get(cb.String())
			check("/me", b.Get("/me"), 200, w.me)
			check("GET logout", b.Get("/auth/weixin/logout"), 405, w.notAllowed)
			b.Do(http.MethodPost, "/auth/weixin/logout", browsertest.HTMLAccept)

			d, err := wx.Decline(b.Get("/auth/weixin/login").Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			check("declined", b.Get(d.String()), 403, w.cancelled)
		}
	})
}

// DEFAULT_LANGUAGE sets the examples' default: English for visitors
// whose Accept-Language names neither language; WeChat's browser still
// gets Chinese.
func TestContractDefaultLanguage(t *testing.T) {
	each(t, func(t *testing.T, name string) {
		wx := weixintest.NewServer()
		defer wx.Close()
		p := start(t, name, append(wechatEnv(wx, false), "DEFAULT_LANGUAGE=en")...)
		b := browsertest.New(t, p.base)
		b.AcceptLanguage = "de"
		if r := b.Get("/"); !strings.Contains(r.Body, `<html lang="en">`) {
			t.Errorf("default en: %s", r.Body)
		}
		b.AcceptLanguage, b.UA = "", "Mozilla/5.0 MicroMessenger/8.0.49"
		if r := b.Get("/"); !strings.Contains(r.Body, `<html lang="zh-CN">`) {
			t.Errorf("default en, in WeChat: %s", r.Body)
		}
	})
}
