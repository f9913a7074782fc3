package weixintest

import "time"

// Lifetimes, as WeChat's.
const (
	defaultAccessTTL     = 2 * time.Hour
	websiteCodeTTL       = 10 * time.Minute
	officialCodeTTL      = 5 * time.Minute
	refreshTokenLifetime = 30 * 24 * time.Hour
)

// Now returns the fake's clock: the real time plus what Advance added.
// Config passes it to core as the application's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// Advance moves the fake's clock forward by d: codes and tokens expire
// accordingly.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// SetAccessTokenTTL sets the lifetime of the access tokens issued or
// extended from now on; d <= 0 restores the default, 2 hours. expires_in
// reports it in whole seconds, at least 1.
func (s *Server) SetAccessTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		d = defaultAccessTTL
	}
	s.accessTTL = d
}

// SetCodeTTL sets the lifetime of the codes issued from now on; d <= 0
// restores the defaults: 10 minutes for websites, 5 for official
// accounts.
func (s *Server) SetCodeTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codeTTL = max(d, 0)
}

// ExpireAccessTokens makes every access token issued so far expired now.
// Refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, g := range s.access {
		g.expires = now
	}
}
