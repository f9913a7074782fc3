package core

import (
	"net/url"
	"unicode"
	"unicode/utf8"
)

// maxReturnToLen is the longest return-to path kept, in bytes.
const maxReturnToLen = 1024

// maxEncodingLayers is how many rounds of percent-encoding a return-to
// path may carry; more is refused.
const maxEncodingLayers = 3

// SafeReturnTo reports whether raw is a same-site path that a login may
// return to, and returns it unchanged when it is. It accepts only an
// absolute path: one "/" not followed by "/" or "\", no "\", whitespace
// or control characters, nor invisible format characters, at most
// maxReturnToLen bytes, valid UTF-8 — and the same again after each
// round of percent-decoding (at most three), so that "/%2F%2Fevil.example" is refused
// like "//evil.example". Anything else (schemes, hosts, "//", "/\",
// encoded tricks) is refused: the caller falls back to its default path.
func SafeReturnTo(raw string) (string, bool) {
	if len(raw) > maxReturnToLen {
		return "", false
	}
	s := raw
	for layer := 0; ; layer++ {
		if !safePath(s) {
			return "", false
		}
		dec, err := url.PathUnescape(s)
		if err != nil || (dec != s && layer == maxEncodingLayers) {
			return "", false
		}
		if dec == s {
			break
		}
		s = dec
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return "", false
	}
	return raw, true
}

// safePath checks one form of a return-to path.
func safePath(s string) bool {
	if len(s) < 1 || s[0] != '/' {
		return false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) ||
			unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}
