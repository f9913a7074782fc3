package core

import (
	"context"

	"github.com/wxlogin/wxlogin/core/adapter"
)

// kit is an Auth's adapter.Kit.
type kit struct{ *Auth }

// Adapter returns the plumbing of a for adapters to web frameworks:
// nethttpmw, ginmw and fibermw use it, and so can an adapter for another
// framework (see package adapter). An app never needs it.
func (a *Auth) Adapter() adapter.Kit { return kit{a} }

// IsBearer reports whether the session of ctx was loaded by
// LoadBearerSession, for an Authorization: Bearer request.
func (a kit) IsBearer(ctx context.Context) bool { return isBearer(ctx) }
