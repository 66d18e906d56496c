package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// The profiler exposes heap contents, goroutine stacks and a CPU-burning
// endpoint, so it is off unless -pprof names an address, listens on a
// listener of its own (never the API mux, whatever reaches the API must
// not reach it), and refuses any address other hosts could reach.

// errPprofRemote refuses -pprof on an address other than loopback.
var errPprofRemote = errors.New("-pprof serves heap dumps and goroutine stacks: refusing a non-loopback address (use 127.0.0.1:PORT, [::1]:PORT or localhost:PORT)")

// validatePprof checks the -pprof address; empty means off.
func (c config) validatePprof() error {
	if c.Pprof != "" && !isLoopbackAddr(c.Pprof) {
		return fmt.Errorf("-pprof %q: %w", c.Pprof, errPprofRemote)
	}
	return nil
}

// pprofHandler is the net/http/pprof routes on a mux of their own.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// listenPprof opens the -pprof listener, or returns nil when it is off.
// The bound address is checked again because "localhost" is resolved by
// the system and could name something else.
func listenPprof(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	if !isLoopbackAddr(addr) {
		return nil, fmt.Errorf("-pprof %q: %w", addr, errPprofRemote)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("-pprof %q bound %s: %w", addr, ln.Addr(), errPprofRemote)
	}
	return ln, nil
}

// newPprofServer is the profiler's http.Server. WriteTimeout is left
// unset: a CPU profile or trace streams for as long as ?seconds= asks.
func newPprofServer(log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           pprofHandler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
