package core

import (
	"net/url"
	"strings"
	"testing"
)

// hostileReturnTo are return-to values that must never be kept: each
// would leave the site, or smuggles something a browser or a proxy might
// read as leaving it.
var hostileReturnTo = []string{
	"",
	"me",
	"https://evil.example/",
	"http://evil.example",
	"//evil.example",
	"///evil.example",
	"/\\evil.example",
	"\\\\evil.example",
	"\\/evil.example",
	"/\\/evil.example",
	"javascript:alert(1)",
	"JavaScript:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"/%2F%2Fevil.example",
	"/%2f%2fevil.example",
	"%2F%2Fevil.example",
	"/%5Cevil.example",
	"/%5cevil.example",
	"/%252F%252Fevil.example",
	"/%25252F%25252Fevil.example",
	"/%2525252F%2525252Fevil.example",
	"/%09/evil.example",
	"/\t/evil.example",
	"/\n/evil.example",
	"/\r\n/evil.example",
	"/%0d%0aSet-Cookie:x=1",
	"/%0aLocation:%20https://evil.example",
	"/ /evil.example",
	"/%20/evil.example",
	"/\x00",
	"/%00",
	"/\x7f",
	"/a\u202e/moc.live",
	"/a\u200b",
	"/\u2028",
	"/\ufeff",
	"/\xff\xfe",
	"/%ff",
	"/%",
	"/%zz",
	"https:/evil.example",
	"https:evil.example",
	" /me",
	"/me ",
	"/me\\..\\..",
	"/" + strings.Repeat("a", maxReturnToLen),
	"//",
	"/\\",
	"//%2e%2e",
	"@evil.example",
	"evil.example/me",
	"?next=/me",
	"#/me",
}

var safeReturnTo = []string{
	"/",
	"/me",
	"/me?tab=profile&x=1",
	"/search?q=%E5%BE%AE%E4%BF%A1",
	"/a/b/c#frag",
	"/用户/资料",
	"/a:b",
	"/@me",
	"/path/../other",
	"/" + strings.Repeat("a", maxReturnToLen-1),
}

func TestSafeReturnTo(t *testing.T) {
	for _, raw := range hostileReturnTo {
		if got, ok := SafeReturnTo(raw); ok {
			t.Errorf("SafeReturnTo(%q) = %q, true; want refused", raw, got)
		}
	}
	for _, raw := range safeReturnTo {
		if got, ok := SafeReturnTo(raw); !ok || got != raw {
			t.Errorf("SafeReturnTo(%q) = %q, %v; want kept unchanged", raw, got, ok)
		}
	}
}

// FuzzSafeReturnTo checks that whatever SafeReturnTo keeps stays on the
// site: resolved against the site's URL, at any depth of decoding, it
// names the same host.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range hostileReturnTo {
		f.Add(s)
	}
	for _, s := range safeReturnTo {
		f.Add(s)
	}
	base, _ := url.Parse("https://site.example/app/page")
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := SafeReturnTo(raw)
		if !ok {
			if got != "" {
				t.Fatalf("refused %q but returned %q", raw, got)
			}
			return
		}
		if got != raw {
			t.Fatalf("kept %q as %q", raw, got)
		}
		if len(got) > maxReturnToLen || got[0] != '/' || (len(got) > 1 && (got[1] == '/' || got[1] == '\\')) {
			t.Fatalf("kept unsafe %q", got)
		}
		for s := got; ; {
			ref, err := url.Parse(s)
			if err != nil {
				break
			}
			if u := base.ResolveReference(ref); u.Host != base.Host || u.Scheme != base.Scheme {
				t.Fatalf("kept %q, which leaves the site for %s", raw, u)
			}
			if strings.ContainsAny(s, "\\\r\n\t ") {
				t.Fatalf("kept %q, whose decoded form %q has a backslash or white space", raw, s)
			}
			dec, err := url.PathUnescape(s)
			if err != nil || dec == s {
				break
			}
			s = dec
		}
	})
}
