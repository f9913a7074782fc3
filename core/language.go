package core

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wxlogin/wxlogin/core/adapter"
	"golang.org/x/text/language"
)

// DefaultLanguage is the language of the pages when the request asks for
// none that the Auth has words for (Options.DefaultLanguage).
const DefaultLanguage = "zh-CN"

// Messages are the words of the pages, by language and message id: the
// outer key is a BCP 47 language tag ("zh-CN", "en", "zh-TW"), the inner
// one a message id ("title.login_failed"). See DefaultMessages for the
// ids.
type Messages map[string]map[string]string

// DefaultMessages returns a copy of the built-in words: Simplified
// Chinese ("zh-CN") and English ("en"), one table per language. The ids
// are those of ErrorClass.TitleID and MessageID ("title.*" and
// "message.*") and "link.login_again", the error page's link to the
// login route.
//
// Options.Messages extends or replaces them: to add Traditional Chinese,
// give a "zh-TW" table (the ids it leaves out fall back to the default
// language's words); to change a word, give that id in its language:
//
//	core.Options{Messages: core.Messages{
//		"zh-TW": {"title.login_failed": "登入失敗", …},
//		"en":    {"link.login_again": "Try again"},
//	}}
//
// An app may keep the words of its own pages in the same tables, under
// ids of its own, and read them with Auth.Message.
func DefaultMessages() Messages {
	return Messages{"zh-CN": maps.Clone(messagesZhCN), "en": maps.Clone(messagesEN)}
}

// languages is what an Auth knows of the pages' languages.
type languages struct {
	tags         []language.Tag // the default first
	chineseIndex int            // zh-CN's: inside WeChat without a usable Accept-Language
	matcher      language.Matcher
	words        map[language.Tag]map[string]string

	cache  sync.Map     // Accept-Language → index in tags, or noMatch
	cached atomic.Int64 // entries stored in cache since it was last cleared
}

// newLanguages merges extra over the built-in words and checks def.
func newLanguages(def string, extra Messages) (*languages, error) {
	words := make(map[language.Tag]map[string]string)
	for name, table := range DefaultMessages() {
		words[language.MustParse(name)] = table
	}
	// In a stable order, so that "zh-cn" and "zh-CN" merge the same way
	// on every start.
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		tag, err := language.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("wxlogin: Options.Messages: %q is not a language tag: %w", name, err)
		}
		if words[tag] == nil {
			words[tag] = make(map[string]string)
		}
		maps.Copy(words[tag], extra[name])
	}
	if def == "" {
		def = DefaultLanguage
	}
	deftag, err := language.Parse(def)
	if err != nil {
		return nil, fmt.Errorf("wxlogin: Options.DefaultLanguage %q is not a language tag: %w", def, err)
	}
	if words[deftag] == nil {
		return nil, fmt.Errorf("wxlogin: Options.DefaultLanguage %q has no words: add them to Options.Messages", def)
	}
	if len(words) > 255 {
		return nil, fmt.Errorf("wxlogin: Options.Messages: %d languages, at most 255", len(words))
	}
	l := &languages{tags: []language.Tag{deftag}, words: words}
	others := slices.SortedFunc(maps.Keys(words), func(a, b language.Tag) int {
		return cmp.Compare(a.String(), b.String())
	})
	for _, t := range others {
		if t != deftag {
			l.tags = append(l.tags, t)
		}
	}
	l.chineseIndex = slices.Index(l.tags, language.MustParse("zh-CN"))
	l.matcher = language.NewMatcher(l.tags)
	return l, nil
}

// Language returns the language of the pages for the request r, one the
// Auth has words for: the best match of r.AcceptLanguage (q-values
// decide the order); else, inside WeChat (r.UserAgent, see
// IsWeChatBrowser), Simplified Chinese; else Options.DefaultLanguage. An
// Accept-Language is unusable when it is missing, malformed, "*" or
// names only languages without words.
func (a kit) Language(r adapter.RequestInfo) language.Tag {
	return a.langs.tags[a.langs.index(r)]
}

// noMatch is the index of an Accept-Language that matches no language.
const noMatch = -1

// maxCachedHeaders bounds the negotiation cache; maxCachedHeader is the
// longest Accept-Language it keeps (browsers send a few dozen bytes).
const (
	maxCachedHeaders = 1024
	maxCachedHeader  = 256
)

// index returns the index in l.tags of the language for r. Negotiating
// takes microseconds, so the result of each Accept-Language is kept: a
// site sees few distinct ones.
func (l *languages) index(r adapter.RequestInfo) int {
	i := noMatch
	if h := r.AcceptLanguage; h != "" {
		if v, ok := l.cache.Load(h); ok {
			i = v.(int)
		} else {
			i = l.match(h)
			if len(h) <= maxCachedHeader {
				if l.cached.Add(1) > maxCachedHeaders {
					l.cache.Clear()
					l.cached.Store(1)
				}
				l.cache.Store(strings.Clone(h), i) // h may live in a reused buffer (Fiber)
			}
		}
	}
	switch {
	case i != noMatch:
		return i
	case isWeChatBrowser(r.UserAgent):
		return l.chineseIndex
	}
	return 0
}

// match negotiates the Accept-Language header h: the index of the best
// language, or noMatch. A malformed header matches nothing.
func (l *languages) match(h string) int {
	if tags, _, _ := language.ParseAcceptLanguage(h); len(tags) > 0 {
		if _, i, conf := l.matcher.Match(tags...); conf != language.No {
			return i
		}
	}
	return noMatch
}

type languageKey struct{}

// WithLanguage returns ctx carrying the language of the pages for the
// request r (see Language), which the responses of the Auth then use.
// The adapters' Sessions middleware calls it for every request; an app
// that drives the Auth itself calls it before LoadSession. Only
// r.AcceptLanguage and r.UserAgent count.
func (a kit) WithLanguage(ctx context.Context, r adapter.RequestInfo) context.Context {
	i := a.langs.index(r)
	if i == 0 && ctx.Value(languageKey{}) == nil {
		return ctx // the default: LanguageOf needs no value (and a request no allocation)
	}
	return context.WithValue(ctx, languageKey{}, languageIndex(i))
}

// languageIndex is an index of languages.tags as a context value: small
// integers go into an interface without allocating.
type languageIndex uint8

// LanguageOf returns the language ctx carries (the adapters' Sessions
// middleware puts the request's there), or
// Options.DefaultLanguage when it carries none. An app renders its own
// pages in it: its String is the value of the lang attribute ("zh-CN",
// "en").
func (a *Auth) LanguageOf(ctx context.Context) language.Tag {
	if i, ok := ctx.Value(languageKey{}).(languageIndex); ok && int(i) < len(a.langs.tags) {
		return a.langs.tags[i]
	}
	return a.langs.tags[0]
}

// Message returns the words of the message id in lang, falling back to
// the default language's words, and to id itself when neither has it.
func (a *Auth) Message(lang language.Tag, id string) string {
	if s, ok := a.langs.words[lang][id]; ok {
		return s
	}
	if s, ok := a.langs.words[a.langs.tags[0]][id]; ok {
		return s
	}
	return id
}
