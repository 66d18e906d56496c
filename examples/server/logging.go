package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// Request logging. A line holds the method, the matched route pattern, the
// path (never the query string, which can carry an OAuth code or a state),
// the status, the error code if any, the size, the duration and the client
// IP. Bodies and headers are never logged, so no one-time code, recovery
// code, secret or token can reach the log through it.

// requestInfo is filled in by the handlers of a request for its log line.
type requestInfo struct {
	route     string // matched pattern
	errorCode string // code of an error answer
}

type requestInfoKey struct{}

// infoOf returns the requestInfo of the request, or a throwaway one.
func infoOf(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// requestState is the per-request state of logRequests, one allocation:
// the status recorder handed to the handlers, the info they fill in and
// the context that carries it.
type requestState struct {
	statusRecorder
	info requestInfo
	ctx  infoCtx
}

// infoCtx is a request's context carrying its requestInfo, in place of
// context.WithValue's extra allocation. Every other key, and the
// cancellation, are the parent's.
type infoCtx struct {
	context.Context
	info *requestInfo
}

func (c *infoCtx) Value(key any) any {
	if key == (requestInfoKey{}) {
		return c.info
	}
	return c.Context.Value(key)
}

// logRequests logs one line per request and turns a panic into a 500.
// The line is built only when the logger takes its level, so a server
// logging at warn pays nothing per successful request.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Every answer is JSON or a fixed page: never let a browser sniff
		// it into something else.
		w.Header()["X-Content-Type-Options"] = hdrNosniff
		st := &requestState{statusRecorder: statusRecorder{ResponseWriter: w}}
		rec, ri := &st.statusRecorder, &st.info
		st.ctx = infoCtx{Context: r.Context(), info: ri}
		r = r.WithContext(&st.ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "route", ri.route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, errInternal(nil))
				}
			}
			s.logRequest(r, rec, ri, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

// logRequest writes the line of one request, if the logger wants it.
func (s *server) logRequest(r *http.Request, rec *statusRecorder, ri *requestInfo, dur time.Duration) {
	level := slog.LevelInfo
	if rec.status >= 500 {
		level = slog.LevelError
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	var buf [8]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", r.Method),
		slog.String("route", ri.route),
		slog.String("path", strings.ToValidUTF8(r.URL.Path, "?")),
		slog.Int("status", rec.status),
		slog.Int("bytes", rec.bytes),
		slog.Duration("dur", dur),
		slog.String("ip", clientIP(r)),
	)
	if ri.errorCode != "" {
		attrs = append(attrs, slog.String("error_code", ri.errorCode))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}
