package weixintest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is a misbehaviour injected on one path of the fake. Delay
// combines with the others; of Status, Malformed, BodySize and Errcode
// the first set, in that order, says how the call is answered, and none
// set means normally.
type Fault struct {
	// Delay waits this long before answering; the call ends unanswered
	// if the request's context is done or the server closes first.
	Delay time.Duration
	// Status answers with this HTTP status and a short text body.
	Status int
	// Malformed answers HTTP 200 with a body that is not JSON.
	Malformed bool
	// BodySize answers HTTP 200 with {"errcode":0,"errmsg":"ok",
	// "padding":"xxx…"} of BodySize bytes (at least 42), streamed.
	BodySize int
	// Errcode answers HTTP 200 {"errcode":Errcode,"errmsg":…} with
	// WeChat's errmsg for it.
	Errcode int
	// Times is how many calls the fault affects; 0 (or less) means every
	// call until ClearFaults.
	Times int
}

// InjectFault makes the calls to path (one of the Path constants)
// misbehave as f says, before any normal handling. Faults injected on
// one path apply in turn: the next one once the previous one's Times
// calls are used up. Faulted calls are counted and logged like others.
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

// playFault plays the next fault of r's path, if any, without holding
// the lock while it waits. done reports that the call is over: answered
// by the fault, or abandoned during its delay (status 0).
func (s *Server) playFault(w http.ResponseWriter, r *http.Request) (errcode, status int, done bool) {
	f := s.takeFault(r.URL.Path)
	if f == nil {
		return 0, 0, false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return 0, 0, true
		case <-s.done:
			return 0, 0, true
		}
	}
	switch {
	case f.Status != 0:
		http.Error(w, http.StatusText(f.Status), f.Status)
		return 0, f.Status, true
	case f.Malformed:
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, `<html><body>502 Bad Gateway</body></html>{"errcode":`)
		return 0, http.StatusOK, true
	case f.BodySize > 0:
		writePadded(w, f.BodySize)
		return 0, http.StatusOK, true
	case f.Errcode != 0:
		writeErr(w, f.Errcode)
		return f.Errcode, http.StatusOK, true
	}
	return 0, 0, false
}

// padding is streamed for BodySize faults, so that a huge body costs the
// fake no memory.
var padding = []byte(strings.Repeat("x", 32<<10))

// writePadded answers valid JSON of size bytes.
func writePadded(w http.ResponseWriter, size int) {
	const head, tail = `{"errcode":0,"errmsg":"ok","padding":"`, `"}`
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, head)
	for n := size - len(head) - len(tail); n > 0; n -= len(padding) {
		if _, err := w.Write(padding[:min(n, len(padding))]); err != nil {
			return // the client stopped reading
		}
	}
	fmt.Fprint(w, tail)
}
