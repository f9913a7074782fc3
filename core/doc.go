// Package core is the framework-independent heart of wxlogin: WeChat
// ("Log in with WeChat", 微信登录) login for Go web applications.
//
// It stands on core/weixin, the client of WeChat's API (Config, Token,
// UserInfo, the app access token, the errcodes), which works without
// sessions; core adds the login flow, the user, sessions, accounts and
// events. Adapters to web frameworks reach the flow's plumbing through
// Auth.Adapter (package core/adapter); an app never needs it.
//
// Auth is the login flow on top of github.com/alexedwards/scs/v2
// sessions: BeginLogin issues a state bound to the browser's session,
// single-use and short-lived; CompleteLogin checks it, exchanges the
// code, renews the session id and stores the User; CurrentUser reads the
// session alone; Token keeps the access token fresh with one refresh at a
// time per user; Logout destroys the session. The adapters nethttpmw,
// ginmw and fibermw turn these into handlers and middleware, and
// weixintest is a fake WeChat to test against.
//
// Mini programs and mobile apps, which keep no cookies, log in with
// MiniProgramLogin (weixin.Config.Code2Session, /sns/jscode2session) and
// AppLogin (a SendAuth code); each starts a session addressed by its
// token in an "Authorization: Bearer" header (adapter.Kit.LoadBearerSession), in the
// same store as the browsers' sessions.
//
// Every handler runs inside the request's scs session (the adapters'
// Sessions middleware, or scs' LoadAndSave); without it the responses are
// 500 and the log names the fix (ErrNoSession).
//
// The pages are in the visitor's language, Simplified Chinese or English
// (Accept-Language, WeChat's browser, Options.DefaultLanguage),
// with the words in one table per language that an app extends or
// replaces (Messages, Options.Messages); JSON answers keep their codes.
//
// One clock decides on time: Options.Now, shared by New with the Configs'
// Now. In tests, the Config from weixintest.Server.Config carries the
// fake's clock, so Server.Advance expires states and tokens for the app
// as for the fake.
package core
