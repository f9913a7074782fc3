// Command nethttp is the wxlogin example for net/http. Run it with
//
//	go run ./examples/nethttp
//
// and open the URL it logs: without WEIXIN_APPID it logs in against a
// fake WeChat started in-process (dev mode). See docs/real-wechat.md for the
// configuration.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/examples/internal/exampleapp"
	"github.com/wxlogin/wxlogin/nethttpmw"
)

func main() {
	app, err := exampleapp.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	auth := app.Auth
	wl := nethttpmw.New(auth, nethttpmw.Options{})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		app.IndexPage(r.Context(), w)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		start, err := auth.BeginLogin(r.Context(), core.LoginRequest{ReturnTo: r.URL.Query().Get("next")})
		if err != nil {
			wl.ErrorPage(w, r, err)
			return
		}
		exampleapp.SetPageHeaders(w.Header().Set)
		app.EmbeddedLoginPage(r.Context(), w, start)
	})
	mux.HandleFunc("GET /auth/weixin/login", wl.Login)
	mux.HandleFunc("GET /auth/weixin/callback", wl.Callback)
	mux.HandleFunc("/auth/weixin/logout", wl.Logout)
	mux.HandleFunc("/auth/weixin/miniprogram", wl.MiniProgramLogin)            // POST; bearer token, no cookie
	mux.HandleFunc("/auth/weixin/app", wl.AppLogin)                            // POST; bearer token, no cookie
	mux.HandleFunc("POST /auth/weixin/miniprogram/phone", wl.MiniProgramPhone) // the getPhoneNumber code of a mini program login
	mux.Handle("GET /me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		app.MePage(r.Context(), w, u)
	})))
	mux.Handle("GET /api/me", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := nethttpmw.User(r)
		w.Header().Set("Content-Type", "application/json")
		exampleapp.WriteJSON(w, exampleapp.FromUser(u))
	})))
	mux.Handle("GET /api/userinfo", wl.RequireWeixinUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := exampleapp.WithTimeout(r.Context())
		defer cancel()
		info, err := auth.UserInfo(ctx, "") // refreshes the access token first when needed
		if err != nil {
			wl.JSONError(w, r, err) // 401 login_required, 502 or 504 upstream
			return
		}
		w.Header().Set("Content-Type", "application/json")
		exampleapp.WriteJSON(w, exampleapp.FromUserInfo(info))
	})))

	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }) // liveness; no session
	root.HandleFunc("GET /readyz", wl.Ready)                                                              // readiness: the session store answers; no session
	root.Handle("GET /metrics", app.Metrics)                                                              // no session
	root.Handle("/", wl.Sessions(mux))
	app.Logger.Info("listening", "addr", app.Addr, "url", app.PublicURL)
	// One log line per request, the callback's code and state redacted.
	log.Fatal(app.Server(nethttpmw.AccessLog(app.Logger)(root)).ListenAndServe())
}
