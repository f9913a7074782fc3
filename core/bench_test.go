package core_test

import (
	"context"
	"testing"
)

// The current-user lookup of every authenticated request, beside the
// bare scs session load it follows, on the same session: the difference
// is what wxlogin adds. Run with
//
//	go test -run XXX -bench 'SessionLoad|CurrentUser' -benchmem ./core/
func BenchmarkSessionLoad(b *testing.B) {
	e, token := benchEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.sm.Load(context.Background(), token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCurrentUser(b *testing.B) {
	e, token := benchEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		ctx, err := e.sm.Load(context.Background(), token)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := e.auth.CurrentUser(ctx); !ok {
			b.Fatal("not logged in")
		}
	}
}

// BenchmarkCurrentUserOnly is the lookup alone, on a loaded session.
func BenchmarkCurrentUserOnly(b *testing.B) {
	e, token := benchEnv(b)
	ctx, err := e.sm.Load(context.Background(), token)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := e.auth.CurrentUser(ctx); !ok {
			b.Fatal("not logged in")
		}
	}
}

func benchEnv(b *testing.B) (*env, string) {
	e := newEnv(b)
	br := e.browser()
	br.login("u1")
	return e, br.token
}
