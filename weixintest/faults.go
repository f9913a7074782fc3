package weixintest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is a misbehaviour injected on one path of the fake.
type Fault struct {
	// Delay waits this long before answering (or until the request is
	// cancelled), then answers normally unless another field says how.
	Delay time.Duration
	// Status answers with this HTTP status and a short text body.
	Status int
	// Malformed answers HTTP 200 with a body that is not JSON.
	Malformed bool
	// BodySize answers HTTP 200 with valid JSON of about this many bytes.
	BodySize int
	// Errcode answers HTTP 200 {"errcode":Errcode,"errmsg":…}.
	Errcode int
	// Times is how many calls the fault affects; 0 means every call
	// until ClearFaults.
	Times int
}

// InjectFault makes the calls to path misbehave as f says. Faults
// injected on one path apply in order.
func (s *Server) InjectFault(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], &f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault returns the fault for the next call to path, if any.
func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[path]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	if q[0].Times > 0 {
		q[0].Times--
		if q[0].Times == 0 {
			s.faults[path] = q[1:]
		}
	}
	return &f
}

// wait sleeps for f's delay; it reports false when the request was
// cancelled first.
func (f *Fault) wait(r *http.Request) bool {
	if f.Delay <= 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// answers reports whether f answers the call itself (rather than only
// delaying it), and with which errcode and status.
func (f *Fault) answers() (ok bool, errcode, status int) {
	switch {
	case f.Status != 0:
		return true, 0, f.Status
	case f.Malformed, f.BodySize > 0:
		return true, 0, http.StatusOK
	case f.Errcode != 0:
		return true, f.Errcode, http.StatusOK
	}
	return false, 0, 0
}

// padding is streamed for BodySize faults, so that a huge body costs the
// fake no memory.
var padding = []byte(strings.Repeat("x", 32<<10))

// write plays f's answer on w.
func (f *Fault) write(w http.ResponseWriter) {
	switch {
	case f.Status != 0:
		http.Error(w, http.StatusText(f.Status), f.Status)
	case f.Malformed:
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, `<html><body>502 Bad Gateway</body></html>{"errcode":`)
	case f.BodySize > 0:
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","padding":"`)
		for n := max(0, f.BodySize-40); n > 0; n -= len(padding) {
			if _, err := w.Write(padding[:min(n, len(padding))]); err != nil {
				return // the client stopped reading
			}
		}
		fmt.Fprint(w, `"}`)
	case f.Errcode != 0:
		writeErr(w, f.Errcode)
	}
}
