package adapter

import (
	"net/url"
	"strings"
)

// redacted replaces the value of a secret-bearing query parameter.
const redacted = "REDACTED"

// secretKeys are the query parameters whose values RedactQuery hides:
// the OAuth callback's code and state, and the names tokens, tickets,
// secrets and keys travel under.
var secretKeys = map[string]bool{
	"code": true, "state": true, "js_code": true, "auth_code": true,
	"token": true, "access_token": true, "refresh_token": true, "id_token": true,
	"ticket": true, "jsapi_ticket": true, "session_key": true,
	"secret": true, "appsecret": true, "client_secret": true,
	"password": true, "signature": true, "sig": true,
}

// secretKey reports whether the query parameter named key (as it stands
// in the query, percent-encoded or not) carries a secret: a name of
// secretKeys, or one ending in token, ticket, secret, password, _key or
// _code, in any case, once decoded however many times it was
// encoded. A key that cannot be decoded counts as secret.
func secretKey(key string) bool {
	for range 4 {
		if !strings.ContainsAny(key, "%+") {
			break
		}
		k, err := url.QueryUnescape(key)
		if err != nil {
			return true // malformed: better hide its value than leak it
		}
		if k == key {
			break
		}
		key = k
	}
	key = strings.ToLower(strings.TrimSpace(key))
	if secretKeys[key] {
		return true
	}
	for _, suffix := range []string{"token", "ticket", "secret", "password", "_key", "_code"} {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return false
}

// RedactQuery returns the raw query rawQuery (a URL's part after "?",
// as url.URL.RawQuery holds it) with the value of each secret-bearing
// parameter replaced by REDACTED: code and state (an OAuth callback's),
// tokens (token, access_token, refresh_token, id_token, any key ending in
// token), tickets, secrets, passwords, keys and codes (session_key,
// js_code, any key ending in _key or _code) and signatures, whether
// the key is spelled plainly, in upper case or percent-encoded
// (c%6Fde). Everything else stays as it was, in its order, byte for
// byte: the other parameters, repeated keys, empty values, and a query
// that does not parse (a stray %, a parameter without "="), so that an
// access log keeps what it needs to diagnose a request. Both "&" and ";"
// separate parameters (some servers split on ";"), so "code=abc;x"
// becomes "code=REDACTED;x". An empty value stays empty, which tells a
// declined login (no code) from a failed one.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var b strings.Builder
	changed := false
	rest := rawQuery
	for {
		i := strings.IndexAny(rest, "&;")
		part := rest
		if i >= 0 {
			part = rest[:i]
		}
		if eq := strings.IndexByte(part, '='); eq >= 0 && eq < len(part)-1 && secretKey(part[:eq]) {
			if !changed {
				b.Grow(len(rawQuery))
				b.WriteString(rawQuery[:len(rawQuery)-len(rest)])
				changed = true
			}
			b.WriteString(part[:eq+1])
			b.WriteString(redacted)
		} else if changed {
			b.WriteString(part)
		}
		if i < 0 {
			break
		}
		if changed {
			b.WriteByte(rest[i])
		}
		rest = rest[i+1:]
	}
	if !changed {
		return rawQuery
	}
	return b.String()
}
