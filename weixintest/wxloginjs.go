package weixintest

import (
	"io"
	"net/http"
)

// wxLoginJS stands in for WeChat's wxLogin.js: new WxLogin(options) puts
// an iframe of the QR-code page in the element options.id, with the same
// parameters WeChat's script sends. Here the page is the fake's consent
// page, which sends the whole window to the callback unless
// self_redirect is true.
const wxLoginJS = `(function () {
  var base = (document.currentScript && document.currentScript.src || "").replace(/\/connect\/zh_CN\/htmledition\/js\/wxLogin\.js.*$/, "");
  window.WxLogin = function (o) {
    var q = "appid=" + encodeURIComponent(o.appid || "") +
      "&redirect_uri=" + encodeURIComponent(o.redirect_uri || "") +
      "&response_type=code&scope=" + encodeURIComponent(o.scope || "snsapi_login") +
      "&state=" + encodeURIComponent(o.state || "") +
      "&login_type=jssdk&self_redirect=" + (o.self_redirect ? "true" : "false") +
      "&style=" + encodeURIComponent(o.style || "black") +
      "&stylelite=" + encodeURIComponent(o.stylelite || "") +
      "&href=" + encodeURIComponent(o.href || "");
    var f = document.createElement("iframe");
    f.src = base + "/connect/qrconnect?" + q;
    f.title = "微信登录";
    f.width = "300";
    f.height = "480";
    f.frameBorder = "0";
    f.scrolling = "no";
    var el = document.getElementById(o.id);
    el.innerHTML = "";
    el.appendChild(f);
  };
})();
`

func handleWxLoginJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
	io.WriteString(w, wxLoginJS)
}
