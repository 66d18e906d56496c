package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// Development mode is on by default only for a loopback server with
// nothing real configured, and never silently on an address other hosts
// reach (issue: -oidc … -postgres … served /dev/messages on any -addr).
func TestDevModeDefaultAndRefusal(t *testing.T) {
	smtp := []string{"-smtp-addr", "127.0.0.1:25", "-smtp-from", "a@b.c"}
	twilio := []string{"-twilio-account-sid", "AC1", "-twilio-auth-token", "t", "-twilio-from", "+15005550006"}
	oidc := []string{"-oidc", "name=acme,issuer=https://idp.example,client_id=c"}
	cat := func(xs ...[]string) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x...)
		}
		return out
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		dev     bool
		refused bool // errDevRemote
	}{
		{"no flags", nil, nil, true, false},
		{"loopback v4", []string{"-addr", "127.0.0.1:0"}, nil, true, false},
		{"loopback v4 other", []string{"-addr", "127.8.9.10:0"}, nil, true, false},
		{"loopback v6", []string{"-addr", "[::1]:0"}, nil, true, false},
		{"localhost", []string{"-addr", "localhost:8080"}, nil, true, false},
		{"every interface", []string{"-addr", ":8080"}, nil, false, false},
		{"every interface v4", []string{"-addr", "0.0.0.0:8080"}, nil, false, false},
		{"every interface v6", []string{"-addr", "[::]:8080"}, nil, false, false},
		{"public ip", []string{"-addr", "192.0.2.7:8080"}, nil, false, false},
		{"host name", []string{"-addr", "example.com:8080"}, nil, false, false},
		{"oidc", oidc, nil, false, false},
		{"postgres", []string{"-postgres", "postgres://x@127.0.0.1/db"}, nil, false, false},
		{"redis", []string{"-redis", "redis://127.0.0.1:6379/0"}, nil, false, false},
		{"smtp", smtp, nil, false, false},
		{"twilio", twilio, nil, false, false},
		{"incomplete twilio is no sender", []string{"-twilio-account-sid", "AC1"}, nil, true, false},
		{"the reported production flags", cat(oidc, []string{"-postgres", "postgres://x@db/authkit", "-secret", strings.Repeat("ab", 32), "-addr", ":443"}), nil, false, false},
		{"explicit dev with postgres", []string{"-dev", "-postgres", "postgres://x@127.0.0.1/db"}, nil, true, false},
		{"explicit dev with sender", cat([]string{"-dev"}, smtp), nil, true, false},
		{"explicit dev off", []string{"-dev=false"}, nil, false, false},
		{"explicit dev remote refused", []string{"-dev", "-addr", "0.0.0.0:8080"}, nil, true, true},
		{"explicit dev empty host refused", []string{"-dev", "-addr", ":8080"}, nil, true, true},
		{"explicit dev host name refused", []string{"-dev", "-addr", "example.com:8080"}, nil, true, true},
		{"explicit dev remote allowed", []string{"-dev", "-dev-allow-remote", "-addr", "0.0.0.0:8080"}, nil, true, false},
		{"allow-remote alone turns nothing on", []string{"-dev-allow-remote", "-addr", "0.0.0.0:8080"}, nil, false, false},
		{"dev from the environment", []string{"-addr", "0.0.0.0:8080"}, map[string]string{"AUTHKIT_DEV": "true"}, true, true},
		{"both from the environment", nil, map[string]string{"AUTHKIT_DEV": "true", "AUTHKIT_DEV_ALLOW_REMOTE": "true", "AUTHKIT_ADDR": "[::]:8080"}, true, false},
		{"env postgres turns the default off", nil, map[string]string{"AUTHKIT_POSTGRES": "postgres://x@db/a"}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.refused {
				if !errors.Is(err, errDevRemote) {
					t.Fatalf("err %v, want errDevRemote", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Dev != tc.dev {
				t.Fatalf("dev %v, want %v", c.Dev, tc.dev)
			}
		})
	}
}

func TestWarnDevMode(t *testing.T) {
	for _, dev := range []bool{true, false} {
		var buf bytes.Buffer
		warnDevMode(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})), config{Dev: dev, Addr: "127.0.0.1:1"})
		if got := strings.Contains(buf.String(), "level=WARN") && strings.Contains(buf.String(), "DEVELOPMENT MODE IS ON"); got != dev {
			t.Errorf("dev=%v: warning logged %v: %q", dev, got, buf.String())
		}
	}
}
