package weixintest

import (
	"net/url"
	"testing"
)

// A long dev-mode run (a QR page long-polls for hours) keeps the fake's
// memory bounded: the call log keeps the newest MaxLog calls, the QR
// codes the newest MaxScans.
func TestLogAndScansAreBounded(t *testing.T) {
	s := NewServer()
	defer s.Close()
	q := url.Values{"uuid": {"x"}}
	for range 3 * MaxLog {
		s.record("GET", PathLongPoll, q, 0, 200)
	}
	if n := len(s.Log()); n > MaxLog || n < MaxLog/2 {
		t.Errorf("the log holds %d calls, want the newest, at most %d", n, MaxLog)
	}
	if n := s.Calls(PathLongPoll); n != 3*MaxLog {
		t.Errorf("Calls = %d, want %d: every call counts", n, 3*MaxLog)
	}
	req := &authRequest{app: App{AppID: DefaultAppID}, state: "s"}
	var last *scan
	for range 3 * MaxScans {
		last = s.newScan(req)
	}
	s.mu.Lock()
	scans, order := len(s.scans), len(s.scanOrder)
	s.mu.Unlock()
	if scans > MaxScans || order > 2*MaxScans+16 {
		t.Errorf("%d QR codes remembered (%d in order), want at most %d", scans, order, MaxScans)
	}
	if uuid, ok := s.PendingScan("s"); !ok || uuid != last.uuid {
		t.Errorf("the newest QR code is not pending: %q %v", uuid, ok)
	}
}
