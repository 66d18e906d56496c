package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
)

// Development mode serves every code at /dev/messages and mounts a fake
// OAuth provider, so anyone who can reach the server can sign in as
// anyone. It is therefore on only when asked for (-dev), or by default
// when nothing about the configuration looks like a deployment: a
// loopback listen address, no -oidc provider, no -postgres or -redis
// store and no real code sender. Even when asked for, it refuses a
// non-loopback address unless -dev-allow-remote says so too.

// errDevRemote refuses development mode on an address other hosts reach.
var errDevRemote = errors.New("development mode (-dev) serves every sign-in code at /dev/messages: refusing to listen on a non-loopback address; pass -dev-allow-remote as well to do it anyway, or -dev=false")

// resolveDevMode sets c.Dev from the -dev flag (given reports whether it
// was on the command line or in the environment) and checks it against
// the listen address.
func (c *config) resolveDevMode(dev, given bool) error {
	c.Dev = dev
	if !given {
		c.Dev = c.looksLikeDevelopment()
	}
	if c.Dev && !isLoopbackAddr(c.Addr) && !c.DevAllowRemote {
		return fmt.Errorf("-addr %q: %w", c.Addr, errDevRemote)
	}
	return nil
}

// looksLikeDevelopment is the default of -dev: true only when the server
// is reachable from this host alone and nothing real is configured.
func (c config) looksLikeDevelopment() bool {
	return isLoopbackAddr(c.Addr) && len(c.OIDC) == 0 && c.Postgres == "" && c.Redis == "" &&
		!c.hasSMSSender() && !c.hasEmailSender()
}

// isLoopbackAddr reports whether the listen address addr (host:port)
// binds loopback only: a loopback IP or the name localhost. An empty host
// (":8080") listens on every interface and is not loopback.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// warnDevMode logs, at start, that development mode is on and what it
// exposes. It is a warning on purpose: it must show at -log-level warn.
func warnDevMode(log *slog.Logger, c config) {
	if !c.Dev {
		return
	}
	log.Warn("DEVELOPMENT MODE IS ON: every one-time code is logged and served at /dev/messages, and a fake OAuth provider signs anyone in; anyone who can reach this server can sign in as any user. Never run it like this in production (-dev=false).",
		"addr", c.Addr, "dev_allow_remote", c.DevAllowRemote)
}
