package core

import "context"

// bearerKey marks a context whose session was addressed by a bearer
// token.
type bearerKey struct{}

// LoadBearerSession loads the session a bearer token addresses (see
// BearerLogin) into ctx, as LoadSession does for a cookie, and marks ctx
// as a bearer request (IsBearer): SaveSession then writes no cookie, the
// logout answers 204, and a missing login is answered 401 JSON, never a
// redirect. An empty, unknown, expired or logged-out token loads an
// empty session that is never saved. Errors wrap ErrSessionStore.
func (a kit) LoadBearerSession(ctx context.Context, token string) (context.Context, error) {
	ctx, err := a.LoadSession(ctx, token)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, bearerKey{}, true), nil
}

// IsBearer reports whether the session of ctx was loaded by
// LoadBearerSession, for an Authorization: Bearer request.
func isBearer(ctx context.Context) bool {
	b, _ := ctx.Value(bearerKey{}).(bool)
	return b
}
