package core_test

import (
	"context"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
)

// codecs are the session codecs benchmarked: scs' default and ours.
var codecs = []struct {
	name  string
	codec scs.Codec
}{
	{"gob", scs.GobCodec{}},
	{"SessionCodec", core.SessionCodec{}},
}

// BenchmarkSessionLoad is the bare scs session load of an authenticated
// session: the baseline of BenchmarkCurrentUser, in the same run.
//
//	go test -run XXX -bench 'SessionLoad|CurrentUser' -benchmem ./core/
func BenchmarkSessionLoad(b *testing.B) {
	for _, c := range codecs {
		b.Run(c.name, func(b *testing.B) {
			e, token := benchEnv(b, c.codec)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.sm.Load(context.Background(), token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCurrentUser is what every authenticated request pays: the
// session load and the current-user lookup.
func BenchmarkCurrentUser(b *testing.B) {
	for _, c := range codecs {
		b.Run(c.name, func(b *testing.B) {
			e, token := benchEnv(b, c.codec)
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
		})
	}
}

// BenchmarkCurrentUserOnly is the lookup alone, on a loaded session.
func BenchmarkCurrentUserOnly(b *testing.B) {
	e, token := benchEnv(b, core.SessionCodec{})
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

// benchEnv logs a user in, with another tab's login pending, and returns
// the session token.
func benchEnv(b *testing.B, codec scs.Codec) (*env, string) {
	e := newEnv(b)
	e.sm.Codec = codec
	br := e.browser()
	br.begin(core.LoginRequest{ReturnTo: "/other-tab"})
	br.login("u1")
	return e, br.token
}
