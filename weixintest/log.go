package weixintest

import (
	"maps"
	"net/url"
	"slices"
	"time"
)

// Call is one request served by the fake.
type Call struct {
	// Time is the fake's clock when the call arrived.
	Time time.Time
	// Method is the HTTP method.
	Method string
	// Path is the URL path, one of the Path constants.
	Path string
	// Query holds the request's parameters, secrets included: the log is
	// for tests.
	Query url.Values
	// Errcode is the errcode answered, 0 for success.
	Errcode int
	// Status is the HTTP status answered. A delayed call is logged on
	// arrival, with the status and errcode of its fault (0 when the
	// fault only delays).
	Status int
}

// Calls returns how many requests were served on path, faulted ones
// included.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// MaxLog is how many calls Log keeps: the newest. Calls counts them all.
// It bounds the memory of a long dev-mode run (a QR page long-polls).
const MaxLog = 10000

// Log returns the requests served, in order: every one, or the newest
// MaxLog when more were served.
func (s *Server) Log() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ResetLog clears the call counts and the log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	s.log = nil
}

func (s *Server) record(method, path string, q url.Values, errcode, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[path]++
	if len(s.log) >= MaxLog {
		// Drop the oldest quarter at once: appending stays amortised O(1).
		n := copy(s.log, s.log[len(s.log)-MaxLog*3/4:])
		clear(s.log[n:])
		s.log = s.log[:n]
	}
	s.log = append(s.log, Call{Time: s.now(), Method: method, Path: path, Query: maps.Clone(q), Errcode: errcode, Status: status})
}
