package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds the server, runs it on a free loopback port the way a
// newcomer does (no flags but the address), waits for the listening line,
// completes an SMS sign-in over real HTTP, then stops it with SIGTERM and
// checks that it exits cleanly.
func TestBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "authkit-server")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a hang guard, not a timing assertion
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "AUTHKIT_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the listening line: %v (stderr: %s)", err, stderr.String())
	}
	m := regexp.MustCompile(`^authkit listening on (http://127\.0\.0\.1:(\d+)) env=([0-9a-f-]{36})\n$`).FindStringSubmatch(line)
	if m == nil || m[2] == "0" {
		t.Fatalf("listening line %q", line)
	}
	origin, env := m[1], m[3]
	base := origin + apiPrefix + env

	post := func(path string, body any, bearer string) (int, map[string]any) {
		b, _ := json.Marshal(body)
		hr, _ := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(b))
		hr.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			hr.Header.Set("Authorization", "Bearer "+bearer)
		}
		return doJSON(t, hr)
	}
	status, created := post("/smsVerifications/create", smsBody("9172113333"), "")
	if status != 201 {
		t.Fatalf("create: %d %v", status, created)
	}
	hr, _ := http.NewRequestWithContext(ctx, "GET", origin+"/dev/messages?to="+url.QueryEscape("+19172113333"), nil)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []devMessage
	if err := json.NewDecoder(res.Body).Decode(&msgs); err != nil || len(msgs) != 1 {
		t.Fatalf("dev messages: %v %v", msgs, err)
	}
	res.Body.Close()
	status, signedIn := post("/smsVerifications/signin", map[string]any{
		"verificationUUID": created["verificationUUID"], "verificationToken": msgs[0].Code,
	}, "")
	if status != 200 || signedIn["minifiedJwt"] == nil {
		t.Fatalf("signin: %d %v", status, signedIn)
	}
	// With no -issuer, iss (and aud, with no Origin) is the listening
	// address and the environment's path.
	if c := decodeJWT(t, signedIn["minifiedJwt"].(string)); c.Iss != base || c.Aud != base {
		t.Fatalf("iss %q aud %v, want %s", c.Iss, c.Aud, base)
	}
	hr, _ = http.NewRequestWithContext(ctx, "GET", base+"/users", nil)
	hr.Header.Set("Authorization", "Bearer "+signedIn["minifiedJwt"].(string))
	status, user := doJSON(t, hr)
	if status != 200 || user["id"] != signedIn["user"].(map[string]any)["id"] {
		t.Fatalf("GET users: %d %v", status, user)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v (stderr: %s)", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "level=ERROR") {
		t.Fatalf("errors logged: %s", stderr.String())
	}
	// Development mode is loud, and refuses an address other hosts reach.
	if !strings.Contains(stderr.String(), "level=WARN") || !strings.Contains(stderr.String(), "DEVELOPMENT MODE IS ON") {
		t.Fatalf("no development-mode warning at start: %s", stderr.String())
	}
	out, err := exec.CommandContext(ctx, bin, "-dev", "-addr", "0.0.0.0:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-dev-allow-remote") {
		t.Fatalf("-dev on 0.0.0.0 started: %v %s", err, out)
	}
}

// doJSON sends a request and decodes a JSON object answer.
func doJSON(t *testing.T, hr *http.Request) (int, map[string]any) {
	t.Helper()
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}
