// Command server is authkit's reference server: it composes every authkit
// package behind Dynamic's SDK routes (/api/v0/sdk/{env}/…)
// and their wire format. With no flags it runs on 127.0.0.1:8080 with
// in-memory stores, a freshly generated signing key and development mode,
// where one-time codes are logged and listed at /dev/messages:
//
//	go run ./examples/server
//
// Every flag can also be set with an AUTHKIT_* environment variable
// (-cors-origin → AUTHKIT_CORS_ORIGIN; repeatable flags take several
// values separated by spaces). Run with -h for the list.
//
// The files are named after what they hold: routing and composition in
// server.go, the error mapping in errors.go, the sign-in endpoints in
// verification.go, oauth.go and mfa.go, tokens in tokens.go, the user
// directory in users.go, store construction in stores.go.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "authkit:", err)
		os.Exit(1)
	}
}

// Server timeouts. ReadHeaderTimeout bounds how long a client may dribble
// its headers (Slowloris); the body of any API request is at most 64 KiB,
// so ReadTimeout can be short; WriteTimeout covers the slowest handler, an
// OAuth sign-in that calls the provider (whose client times out at 10 s).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 32 << 10
)

// run starts the server and blocks until ctx is done (a signal), then
// shuts down gracefully within cfg.ShutdownTimeout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	level, _ := parseLogLevel(cfg.LogLevel)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	warnDevMode(logger, cfg)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := publicAddr(ln.Addr())
	if cfg.Issuer == "" {
		cfg.Issuer = "http://" + addr + apiPrefix + cfg.Env
	}
	srv, err := newServer(ctx, cfg, serverOptions{Logger: logger})
	if err != nil {
		return err
	}
	defer srv.Close()

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	pln, err := listenPprof(cfg.Pprof)
	if err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	if pln != nil {
		ps := newPprofServer(logger)
		defer ps.Close()
		go func() { errc <- ps.Serve(pln) }()
		logger.Info("pprof listening", "url", "http://"+publicAddr(pln.Addr())+"/debug/pprof/")
	}
	logger.Info("authkit started", "addr", addr, "env", cfg.Env, "dev", cfg.Dev, "issuer", cfg.Issuer,
		"cookie_auth", cfg.CookieAuth, "captcha", cfg.Captcha, "oauth_providers", srv.describeProviders())
	fmt.Fprintf(stdout, "authkit listening on http://%s env=%s\n", addr, cfg.Env)
	if cfg.Dev {
		logger.Info("demo page", "url", demoURL(addr))
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		// Requests still running at the deadline are cut off.
		hs.Close()
		logger.Warn("shutdown deadline passed; connections closed", "err", err)
	}
	return nil
}

// publicAddr is the address to print and to build the default issuer
// from: the real port when -addr asked for port 0, and localhost when the
// server listens on every interface.
func publicAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	port := strconv.Itoa(tcp.Port)
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", port)
	}
	return net.JoinHostPort(tcp.IP.String(), port)
}

// demoURL is where to open the demo page: on a loopback address, by the
// name localhost, because WebAuthn refuses an IP address as the relying
// party of the page's passkeys.
func demoURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		addr = net.JoinHostPort("localhost", port)
	}
	return "http://" + addr + "/demo/"
}

// parseLogLevel reads -log-level.
func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("-log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}
