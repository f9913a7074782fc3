package core

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/wxlogin/wxlogin/core/adapter"
)

// The negotiation cache stays bounded whatever headers arrive, answers
// as negotiation does, and keeps its own copy of each header: Fiber's
// header strings point into a buffer the next request overwrites.
func TestLanguageCache(t *testing.T) {
	l, err := newLanguages("", nil)
	if err != nil {
		t.Fatal(err)
	}
	en, zh := l.match("en"), l.match("zh-CN")
	if en == noMatch || zh == noMatch || en == zh {
		t.Fatalf("en %d, zh-CN %d", en, zh)
	}
	buf := []byte("en")
	h := unsafe.String(&buf[0], len(buf))
	if got := l.index(adapter.RequestInfo{AcceptLanguage: h}); got != en {
		t.Fatalf("en: %d", got)
	}
	copy(buf, "zh") // the next request, in the same buffer
	if got := l.index(adapter.RequestInfo{AcceptLanguage: "en"}); got != en {
		t.Errorf("en after the buffer changed: %d", got)
	}
	if got := l.index(adapter.RequestInfo{AcceptLanguage: "zh"}); got != zh {
		t.Errorf("zh: %d", got)
	}
	for i := range 3 * maxCachedHeaders {
		h := fmt.Sprintf("x-%d,en;q=0.5", i)
		if got := l.index(adapter.RequestInfo{AcceptLanguage: h}); got != en {
			t.Fatalf("%s: %d", h, got)
		}
		if n := l.cached.Load(); n > maxCachedHeaders+1 {
			t.Fatalf("%d headers cached", n)
		}
	}
	long := "fr," + string(make([]byte, maxCachedHeader)) // malformed and long: not kept
	before := l.cached.Load()
	if got := l.index(adapter.RequestInfo{AcceptLanguage: long, UserAgent: "MicroMessenger"}); got != l.chineseIndex {
		t.Errorf("long header in WeChat: %d", got)
	}
	if l.cached.Load() != before {
		t.Error("a header longer than maxCachedHeader was cached")
	}
}

// What negotiating costs per request: a header seen before (the cache)
// against one never seen (ParseAcceptLanguage and the Matcher).
func BenchmarkLanguage(b *testing.B) {
	l, err := newLanguages("", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		r := adapter.RequestInfo{AcceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8"}
		b.ReportAllocs()
		for b.Loop() {
			l.index(r)
		}
	})
	b.Run("negotiated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.match("zh-CN,zh;q=0.9,en;q=0.8")
		}
	})
}
