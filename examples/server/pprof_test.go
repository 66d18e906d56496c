package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestParseConfigPprof(t *testing.T) {
	tests := []struct {
		args    []string
		want    string
		refused bool // errPprofRemote
	}{
		{nil, "", false},
		{[]string{"-pprof", "127.0.0.1:6060"}, "127.0.0.1:6060", false},
		{[]string{"-pprof", "[::1]:0"}, "[::1]:0", false},
		{[]string{"-pprof", "localhost:6060"}, "localhost:6060", false},
		{[]string{"-pprof", ":6060"}, "", true},
		{[]string{"-pprof", "0.0.0.0:6060"}, "", true},
		{[]string{"-pprof", "192.0.2.1:6060"}, "", true},
		{[]string{"-pprof", "example.com:6060"}, "", true},
		{[]string{"-pprof", "127.0.0.1"}, "", true}, // no port
	}
	for _, tc := range tests {
		c, err := parseConfig(tc.args, nil, io.Discard)
		if tc.refused {
			if !errors.Is(err, errPprofRemote) {
				t.Errorf("%v: err %v, want errPprofRemote", tc.args, err)
			}
			continue
		}
		if err != nil || c.Pprof != tc.want {
			t.Errorf("%v: Pprof %q err %v, want %q", tc.args, c.Pprof, err, tc.want)
		}
	}
	c, err := parseConfig(nil, func(k string) string {
		if k == "AUTHKIT_PPROF" {
			return "0.0.0.0:6060"
		}
		return ""
	}, io.Discard)
	if !errors.Is(err, errPprofRemote) {
		t.Errorf("AUTHKIT_PPROF=0.0.0.0:6060: Pprof %q err %v, want errPprofRemote", c.Pprof, err)
	}
}

func TestListenPprof(t *testing.T) {
	if ln, err := listenPprof(""); ln != nil || err != nil {
		t.Fatalf("off: %v %v", ln, err)
	}
	if _, err := listenPprof("0.0.0.0:0"); !errors.Is(err, errPprofRemote) {
		t.Fatalf("0.0.0.0:0: err %v, want errPprofRemote", err)
	}
	ln, err := listenPprof("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps := newPprofServer(slog.New(slog.DiscardHandler))
	go ps.Serve(ln)
	t.Cleanup(func() { ps.Close() })

	res, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("pprof listener: %d %.200s", res.StatusCode, body)
	}
}

// TestPprofNotOnAPIMux: the profiler is never reachable through the API
// listener, with or without -pprof.
func TestPprofNotOnAPIMux(t *testing.T) {
	env := newTestEnv(t, nil, func(c *config) { c.Pprof = "127.0.0.1:0" })
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine", "/debug/pprof/cmdline"} {
		res, err := http.Get(env.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK || strings.Contains(string(body), "goroutine") {
			t.Errorf("API mux serves %s: %d %.200s", path, res.StatusCode, body)
		}
	}
}

// TestRunPprof runs the server with -pprof: the profiler answers on its
// own listener, the API listener does not serve it, and both stop with
// the server.
func TestRunPprof(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-pprof", "127.0.0.1:0"}, func(string) string { return "" }, pw, logs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	addr, _, _ := strings.Cut(strings.TrimPrefix(line, "authkit listening on http://"), " env=")
	m := regexp.MustCompile(`"pprof listening" url=(http://\S+/debug/pprof/)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no pprof line in the log:\n%s", logs)
	}
	for url, want := range map[string]int{
		m[1] + "cmdline":                   http.StatusOK,
		"http://" + addr + "/debug/pprof/": http.StatusNotFound,
	} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, res.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get(m[1]); err == nil {
		t.Fatal("pprof still serving after shutdown")
	}
	if err := run(t.Context(), []string{"-pprof", ":0"}, nil, io.Discard, io.Discard); !errors.Is(err, errPprofRemote) {
		t.Fatalf("run -pprof :0: %v, want errPprofRemote", err)
	}
}
