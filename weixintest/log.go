package weixintest

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Call is one request served by the fake: an API call, an authorize page
// or the consent page's form (not avatars or wxLogin.js).
type Call struct {
	// Time is the fake's clock when the call arrived.
	Time time.Time
	// Method is the HTTP method.
	Method string
	// Path is the URL path, one of the Path constants.
	Path string
	// Query holds the request's parameters, query and form, secrets
	// included: the log is for tests.
	Query url.Values
	// Errcode is the errcode answered, 0 for success.
	Errcode int
	// Status is the HTTP status answered; 0 while the call is still being
	// answered, or when it was abandoned during a Delay fault.
	Status int
}

// Calls returns how many requests were served on path, faulted ones
// included. A call is counted on arrival.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Log returns a copy of every call since NewServer or ResetLog, in order
// of arrival.
func (s *Server) Log() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := slices.Clone(s.log)
	for i := range log {
		log[i].Query = cloneValues(log[i].Query)
	}
	return log
}

// ResetLog clears the call counts and the log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	s.log = nil
	s.logGen++
}

// callRef designates a logged call, to complete it once answered.
type callRef struct{ gen, i int }

// begin counts and logs r on arrival.
func (s *Server) begin(r *http.Request) callRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.URL.Path]++
	s.log = append(s.log, Call{Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: cloneValues(r.Form)})
	return callRef{s.logGen, len(s.log) - 1}
}

// finish records how call c was answered, unless the log was reset since.
func (s *Server) finish(c callRef, errcode, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gen == s.logGen {
		s.log[c.i].Errcode, s.log[c.i].Status = errcode, status
	}
}

// cloneValues returns a deep copy of v.
func cloneValues(v url.Values) url.Values {
	v = maps.Clone(v)
	for k, vs := range v {
		v[k] = slices.Clone(vs)
	}
	return v
}
