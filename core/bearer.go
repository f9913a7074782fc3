package core

import "context"

// bearerKey marks a context whose session was addressed by a bearer
// token.
type bearerKey struct{}

// maxBearerLength bounds the bearer tokens looked up in the store; scs'
// tokens are 43 characters.
const maxBearerLength = 256

// BearerToken returns the token of an Authorization header value
// "Bearer TOKEN" (the scheme in any case), and whether the value uses
// the Bearer scheme at all. A Bearer value whose token is empty,
// overlong or not of the characters of a session token yields "" and
// true: the request is a bearer request that no session answers. A
// token is only ever read from this header, never from the URL.
func BearerToken(authorization string) (token string, ok bool) {
	const scheme = "bearer "
	if len(authorization) < len(scheme) {
		return "", false
	}
	for i := 0; i < len(scheme); i++ {
		c := authorization[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != scheme[i] {
			return "", false
		}
	}
	token = authorization[len(scheme):]
	for len(token) > 0 && token[0] == ' ' {
		token = token[1:]
	}
	for len(token) > 0 && token[len(token)-1] == ' ' {
		token = token[:len(token)-1]
	}
	if len(token) > maxBearerLength {
		return "", true
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=') {
			return "", true
		}
	}
	return token, true
}

// LoadBearerSession loads the session a bearer token addresses (see
// BearerLogin) into ctx, as LoadSession does for a cookie, and marks ctx
// as a bearer request (IsBearer): SaveSession then writes no cookie, the
// logout answers 204, and a missing login is answered 401 JSON, never a
// redirect. An empty, unknown, expired or logged-out token loads an
// empty session that is never saved. Errors wrap ErrSessionStore.
func (a *Auth) LoadBearerSession(ctx context.Context, token string) (context.Context, error) {
	ctx, err := a.LoadSession(ctx, token)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, bearerKey{}, true), nil
}

// IsBearer reports whether the session of ctx was loaded by
// LoadBearerSession, for an Authorization: Bearer request.
func IsBearer(ctx context.Context) bool {
	b, _ := ctx.Value(bearerKey{}).(bool)
	return b
}
