package weixintest

import (
	"io"
	"net/http"
)

// wxLoginJS stands in for Tencent's wxLogin.js, written from its
// behaviour as described in the project's reference (not copied):
// new WxLogin(options) replaces the contents of the element options.id
// with a 300×400 iframe (no border, no scrolling) of
// BASE/connect/qrconnect?appid=…&scope=…&redirect_uri=…&state=…&login_type=jssdk&self_redirect=…
// with every value pasted in as given, without encoding (so the page
// must pass redirect_uri URL-encoded), no response_type, self_redirect
// "true" for true, "false" for false and "default" otherwise — as every
// copy of Tencent's script does — then, in an order of the stand-in's
// own (Tencent's copies differ in this tail), &style= and &href= only
// when set, &stylelite=1 only for the number 1, &fast_login=0 only for
// the number 0 and &lang=en only for "en".
// BASE is WeChat's https://open.weixin.qq.com for the real script; here
// it is the origin the script was loaded from, the fake.
const wxLoginJS = `(function () {
  var src = (document.currentScript && document.currentScript.src) || "";
  var base = src.replace(/\/connect\/zh_CN\/htmledition\/js\/wxLogin\.js.*$/, "");
  window.WxLogin = function (a) {
    var selfRedirect = "default";
    if (a.self_redirect === true) {
      selfRedirect = "true";
    } else if (a.self_redirect === false) {
      selfRedirect = "false";
    }
    var url = base + "/connect/qrconnect?appid=" + a.appid + "&scope=" + a.scope +
      "&redirect_uri=" + a.redirect_uri + "&state=" + a.state +
      "&login_type=jssdk&self_redirect=" + selfRedirect;
    if (a.style) { url += "&style=" + a.style; }
    if (a.href) { url += "&href=" + a.href; }
    if (a.stylelite === 1) { url += "&stylelite=1"; }
    if (a.fast_login === 0) { url += "&fast_login=0"; }
    if (a.lang === "en") { url += "&lang=en"; }
    var f = document.createElement("iframe");
    f.src = url;
    f.frameBorder = "0";
    f.allowTransparency = "true";
    f.scrolling = "no";
    f.width = "300px";
    f.height = "400px";
    var el = document.getElementById(a.id);
    el.innerHTML = "";
    el.appendChild(f);
  };
})();
`

func handleWxLoginJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
	io.WriteString(w, wxLoginJS)
}
