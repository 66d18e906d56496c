package httperr

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the table in doc.go from the rows")

// TestDocTable keeps the table in the package documentation (what a host
// reads in go doc) equal to the rows: after changing table.go, run
// go test ./httperr -run TestDocTable -update.
func TestDocTable(t *testing.T) {
	names := map[error]string{}
	for n, err := range sentinels {
		names[err] = n
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(names[r.err]))
	}
	var want strings.Builder
	for _, r := range rows {
		n := names[r.err]
		if n == "" {
			t.Fatalf("row %v has no name in sentinels", r.err)
		}
		fmt.Fprintf(&want, "//\t%-*s %d %s\n", width, n, r.status, r.code)
	}
	const file = "doc.go"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	const head = "// parent and an outage before everything):\n//\n"
	i := strings.Index(src, head)
	j := strings.Index(src, "\npackage httperr")
	if i < 0 || j < i {
		t.Fatalf("%s: cannot find the table (after %q)", file, head)
	}
	i += len(head)
	got := src[i : j+1]
	if got == want.String() {
		return
	}
	if *update {
		if err := os.WriteFile(file, []byte(src[:i]+want.String()+src[j+1:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the table in %s differs from the rows; run: go test ./httperr -run TestDocTable -update\n got:\n%s\nwant:\n%s", file, got, want.String())
}
