package weixintest

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// The statuses of a login QR code, as WeChat's long poll answers them
// (window.wx_errcode).
const (
	// ScanWaiting: nobody has scanned the code yet.
	ScanWaiting = 408
	// ScanScanned: scanned, waiting for the confirmation on the phone.
	ScanScanned = 404
	// ScanConfirmed: confirmed on the phone; the poll carries the code.
	ScanConfirmed = 405
	// ScanCancelled: declined on the phone.
	ScanCancelled = 403
	// ScanExpired: the code expired (or was never issued).
	ScanExpired = 402
)

// QRLifetime is how long a login QR code can be scanned, on the fake's
// clock.
const QRLifetime = 5 * time.Minute

// MaxScans is how many QR codes the fake remembers; past it the oldest
// is forgotten (its page says it expired). It bounds the memory of a
// long dev-mode run.
const MaxScans = 10000

// LongPollTimeout is how long the long poll waits for a change before
// answering ScanWaiting again, as WeChat's does.
const LongPollTimeout = 25 * time.Second

// Paths of the QR-code login embedded with wxLogin.js.
const (
	// PathQRImage serves the PNG of a login QR code: PathQRImage + uuid.
	PathQRImage = "/connect/qrcode/"
	// PathLongPoll is the long poll of the QR page (on WeChat, on
	// lp.open.weixin.qq.com): ?uuid=UUID&last=STATUS.
	PathLongPoll = "/connect/l/qrconnect"
	// PathPhone is the "phone" page a QR code points to: where the scan
	// is confirmed, ?uuid=UUID. A person opens it in another tab in
	// dev mode (the QR page links it); tests use ConfirmScan.
	PathPhone = "/connect/confirm"
)

// errNoScan means a uuid that was never issued or has expired.
var errNoScan = errors.New("weixintest: no such QR code, or it expired")

// scan is one QR code shown by the embedded page.
type scan struct {
	uuid    string
	req     *authRequest
	status  int
	code    string
	expires time.Time
	changed chan struct{} // closed and replaced at each change
}

// current is the scan's status at now.
func (sc *scan) current(now time.Time) int {
	if (sc.status == ScanWaiting || sc.status == ScanScanned) && !now.Before(sc.expires) {
		return ScanExpired
	}
	return sc.status
}

// setLocked changes the status and wakes the polls.
func (sc *scan) setLocked(status int) {
	sc.status = status
	close(sc.changed)
	sc.changed = make(chan struct{})
}

// newScan issues a QR code for req.
func (s *Server) newScan(req *authRequest) *scan {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !now.Before(s.scanSweep) { // at most once a minute: a sweep reads every code
		s.scanSweep = now.Add(time.Minute)
		for id, sc := range s.scans {
			if !now.Before(sc.expires.Add(QRLifetime)) {
				delete(s.scans, id)
			}
		}
	}
	// The oldest QR codes go first past MaxScans; scanOrder forgets the
	// codes that are gone.
	for len(s.scans) >= MaxScans && len(s.scanOrder) > 0 {
		delete(s.scans, s.scanOrder[0])
		s.scanOrder = s.scanOrder[1:]
	}
	if len(s.scanOrder) > 2*len(s.scans)+16 {
		s.scanOrder = slices.DeleteFunc(slices.Clone(s.scanOrder), func(id string) bool { return s.scans[id] == nil })
	}
	sc := &scan{uuid: randomToken(16), req: req, status: ScanWaiting, expires: now.Add(QRLifetime), changed: make(chan struct{})}
	s.scans[sc.uuid] = sc
	s.scanOrder = append(s.scanOrder, sc.uuid)
	return sc
}

// PendingScan returns the uuid of the newest QR code shown for a login
// with state that can still be scanned.
func (s *Server) PendingScan(state string) (uuid string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := len(s.scanOrder) - 1; i >= 0; i-- {
		sc := s.scans[s.scanOrder[i]]
		if sc != nil && sc.req.state == state {
			if st := sc.current(now); st == ScanWaiting || st == ScanScanned {
				return sc.uuid, true
			}
		}
	}
	return "", false
}

// ConfirmScan acts as user userID scanning QR code uuid with the phone
// and confirming: the QR page's long poll answers with a code, and the
// page navigates to the callback by itself.
func (s *Server) ConfirmScan(uuid, userID string) error {
	s.mu.Lock()
	sc, err := s.openScanLocked(uuid)
	known := s.userLocked(userID) != nil
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if !known {
		return fmt.Errorf("weixintest: no user %q", userID)
	}
	code := s.NewCode(sc.req.app.AppID, userID, sc.req.scope)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.openScanLocked(uuid); err != nil {
		return err
	}
	sc.code = code
	sc.setLocked(ScanConfirmed)
	return nil
}

// CancelScan acts as the user scanning QR code uuid and declining on the
// phone: the QR page says so and goes nowhere.
func (s *Server) CancelScan(uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := s.openScanLocked(uuid)
	if err != nil {
		return err
	}
	sc.setLocked(ScanCancelled)
	return nil
}

// openScanLocked returns scan uuid if it can still be scanned.
func (s *Server) openScanLocked(uuid string) (*scan, error) {
	sc := s.scans[uuid]
	if sc == nil {
		return nil, errNoScan
	}
	switch sc.current(s.now()) {
	case ScanWaiting, ScanScanned:
		return sc, nil
	case ScanExpired:
		return nil, errNoScan
	}
	return nil, fmt.Errorf("weixintest: QR code %s was already answered (%d)", uuid, sc.status)
}

var qrPage = template.Must(template.New("qr").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>微信登录</title>
<style>
body{margin:0;font:14px/1.5 system-ui,sans-serif;text-align:center;color:#222;background:#fff}
h1{font-size:18px;font-weight:normal;margin:14px 0 8px}
#qrcode{width:220px;height:220px;display:block;margin:0 auto;border:1px solid #eee}
#status{margin:10px 0 4px}
.dev{font-size:12px;color:#888;margin:0}
</style></head><body>
<h1>微信登录</h1>
<img id="qrcode" src="{{.QR}}" alt="二维码" onload="this.className='loaded'">
<p id="status">请使用微信扫描二维码登录</p>
<p class="dev">weixintest: no phone? <a id="phone" href="{{.Phone}}" target="_blank">open the phone page</a></p>
<script>
(function () {
  var uuid = {{.UUID}}, redirectURI = {{.RedirectURI}}, state = {{.State}}, selfRedirect = {{.Self}};
  var status = document.getElementById("status");
  // WeChat's page: long-poll the login's status with a script tag,
  // which sets window.wx_errcode and window.wx_code.
  function poll(last) {
    var s = document.createElement("script");
    s.src = {{.Poll}} + "?uuid=" + uuid + "&last=" + last + "&_=" + Date.now();
    s.onload = function () { s.parentNode.removeChild(s); answer(window.wx_errcode, window.wx_code); };
    s.onerror = function () { s.parentNode.removeChild(s); setTimeout(function () { poll(last); }, 2000); };
    document.body.appendChild(s);
  }
  function answer(code, wxCode) {
    switch (code) {
    case 405:
      status.textContent = "已确认，正在登录…";
      var u = redirectURI + (redirectURI.indexOf("?") >= 0 ? "&" : "?") +
        "code=" + encodeURIComponent(wxCode) + "&state=" + encodeURIComponent(state);
      // No user activation here: the person confirmed on the phone.
      if (selfRedirect) { window.location.href = u; } else { window.top.location.href = u; }
      return;
    case 404:
      status.textContent = "扫描成功，请在微信中点击确认即可登录";
      poll(404);
      return;
    case 403:
      status.textContent = "你已取消此次登录";
      return;
    case 402:
      status.textContent = "二维码已失效，请刷新页面";
      return;
    default:
      poll(408);
    }
  }
  // From the load event on: a poll started earlier would hold the
  // page's (and the embedding page's) load event for its whole wait.
  window.addEventListener("load", function () { poll(408); });
})();
</script>
</body></html>
`))

// serveQRPage serves the page wxLogin.js embeds: a QR code of the phone
// page for a new uuid, and a script that long-polls its status and, once
// confirmed, navigates as WeChat's page does: the whole window, or the
// iframe itself when selfRedirect.
func (s *Server) serveQRPage(w http.ResponseWriter, req *authRequest, selfRedirect bool) {
	sc := s.newScan(req)
	qrPage.Execute(w, map[string]any{
		"UUID": sc.uuid, "QR": PathQRImage + sc.uuid, "Phone": s.phoneURL(sc.uuid), "Poll": PathLongPoll,
		"RedirectURI": req.redirectURI, "State": req.state, "Self": selfRedirect,
	})
}

func (s *Server) phoneURL(uuid string) string { return s.URL + PathPhone + "?uuid=" + uuid }

// handleQRImage serves the PNG of a QR code that encodes the phone page.
func (s *Server) handleQRImage(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	s.mu.Lock()
	_, ok := s.scans[uuid]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(s.phoneURL(uuid), qrcode.Medium, 220)
	if err != nil {
		http.Error(w, "QR code: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

// handleLongPoll answers the QR page's poll as WeChat's does: a script
// setting window.wx_errcode (and window.wx_code once confirmed). It
// waits while the status is still the one the page last saw (last), up
// to LongPollTimeout.
func (s *Server) handleLongPoll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.record(r.Method, r.URL.Path, q, 0, http.StatusOK)
	last, err := strconv.Atoi(q.Get("last"))
	if err != nil {
		last = ScanWaiting
	}
	timer := time.NewTimer(s.longPoll)
	defer timer.Stop()
	for {
		s.mu.Lock()
		sc := s.scans[q.Get("uuid")]
		status, code := ScanExpired, ""
		var changed chan struct{}
		if sc != nil {
			status, code, changed = sc.current(s.now()), sc.code, sc.changed
		}
		s.mu.Unlock()
		if status != last || status == ScanConfirmed || status == ScanCancelled || status == ScanExpired {
			writePoll(w, status, code)
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			writePoll(w, status, "")
			return
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

func writePoll(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/javascript")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "window.wx_errcode=%d;window.wx_code='%s';", status, code)
}

var phonePage = template.Must(template.New("phone").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>微信登录确认 (weixintest)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:2rem auto;padding:0 1rem;text-align:center;color:#222}
button{display:flex;align-items:center;gap:.75rem;width:100%;margin:.5rem 0;padding:.6rem 1rem;font-size:1rem;border:1px solid #ddd;border-radius:8px;background:#fff;cursor:pointer}
button.user:hover{border-color:#07c160}
img{width:40px;height:40px;border-radius:4px}
#decline{justify-content:center;color:#888}
.note{color:#888;font-size:.85rem}
</style></head><body>
<h1>微信登录确认</h1>
{{if .Done}}<p id="done">{{.Done}}</p>
{{else}}<p>weixintest — the phone side of a QR-code login.<br>App <code>{{.AppID}}</code> asks for <code>{{.Scope}}</code>.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="uuid" value="{{.UUID}}">
{{range .Users}}<button class="user" id="user-{{.ID}}" name="user" value="{{.ID}}"><img src="{{.Avatar}}" alt=""><span>{{.Nickname}}</span></button>
{{end}}<button id="decline" name="decline" value="1">取消登录 Decline</button>
</form>
<p class="note">Pick a user to confirm as; the page with the QR code continues by itself.</p>
{{end}}</body></html>
`))

// handlePhone serves the phone side of a QR code: opening it is a scan
// (the QR page says so); the form confirms as a user or declines.
func (s *Server) handlePhone(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	uuid := r.Form.Get("uuid")
	s.record(r.Method, r.URL.Path, r.Form, 0, http.StatusOK)
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodPost {
		var err error
		done := "已确认登录，请回到电脑上继续。Confirmed: the page with the QR code logs in."
		if r.PostForm.Get("decline") != "" {
			err, done = s.CancelScan(uuid), "已取消登录。Declined."
		} else {
			err = s.ConfirmScan(uuid, r.PostForm.Get("user"))
		}
		if err != nil {
			pageError(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		phonePage.Execute(w, map[string]any{"Done": done})
		return
	}
	s.mu.Lock()
	sc, err := s.openScanLocked(uuid)
	if err == nil && sc.status == ScanWaiting {
		sc.setLocked(ScanScanned)
	}
	s.mu.Unlock()
	if err != nil {
		pageError(w, err)
		return
	}
	users := s.pageUsers()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	phonePage.Execute(w, map[string]any{
		"UUID": uuid, "AppID": sc.req.app.AppID, "Scope": sc.req.scope, "Action": PathPhone, "Users": users,
	})
}
