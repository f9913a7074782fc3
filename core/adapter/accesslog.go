package adapter

import (
	"context"
	"log/slog"
	"time"
)

// Access is one served request, as an adapter's AccessLog middleware saw
// it.
type Access struct {
	Method     string
	Path       string // the URL's path, without the query
	RawQuery   string // the URL's query as received; LogAccess redacts it
	Status     int
	Bytes      int64 // the response body's length
	Duration   time.Duration
	RemoteAddr string // the peer's host:port, as the server saw it
}

// LogAccess writes a to logger (nil: slog.Default()) as one Info line
// "request" with the attributes method, path, query (RawQuery passed
// through RedactQuery: no code, state or token), status, bytes, duration
// and remote_addr — the same names whichever adapter logs.
func LogAccess(ctx context.Context, logger *slog.Logger, a Access) {
	if logger == nil {
		logger = slog.Default()
	}
	if !logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("method", a.Method),
		slog.String("path", a.Path),
		slog.String("query", RedactQuery(a.RawQuery)),
		slog.Int("status", a.Status),
		slog.Int64("bytes", a.Bytes),
		slog.Duration("duration", a.Duration),
		slog.String("remote_addr", a.RemoteAddr),
	)
}
