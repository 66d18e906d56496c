package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const modulePath = "github.com/authkit/authkit"

// goList runs `go list` on this package with the given template flags and
// returns its output lines. It skips when the go tool is missing, except
// under CI=true.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go tool not found under CI: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goBin, append([]string{"list"}, append(args, modulePath+"/examples/server")...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, stderr)
	}
	return strings.Fields(string(out))
}

// The server is what hosts copy: its binary must not link package testing
// or authkit's test helpers, and its own code must use only public API.
func TestServerDependencies(t *testing.T) {
	deps := goList(t, "-deps")
	if len(deps) == 0 {
		t.Fatal("go list -deps printed nothing")
	}
	for _, p := range deps {
		if p == "testing" || strings.HasPrefix(p, "testing/") ||
			strings.HasPrefix(p, modulePath+"/") && strings.HasSuffix(p, "test") {
			t.Errorf("the server binary links %s", p)
		}
	}
	imports := goList(t, "-f", `{{join .Imports "\n"}}`)
	if len(imports) == 0 {
		t.Fatal("go list printed no imports")
	}
	for _, p := range imports {
		if strings.HasPrefix(p, modulePath+"/") && strings.Contains(p, "/internal/") {
			t.Errorf("the server imports %s, which hosts cannot import", p)
		}
	}
}
