package verification

import (
	"strings"
	"testing"
	"unicode"
)

// TestRedactDropsAllLineBreaks: redact promises no control characters, so
// a provider's text cannot start a new log line. That covers the C1
// controls (U+0085 NEXT LINE) and the Unicode line and paragraph
// separators, which many log viewers also break lines at, not only ASCII.
func TestRedactDropsAllLineBreaks(t *testing.T) {
	m := Message{Channel: ChannelEmail, To: "jane@example.com", Code: "480213"}
	for _, in := range []string{
		"rejected\u0085level=INFO msg=forged",
		"rejected\u2028level=INFO msg=forged",
		"rejected\u2029level=INFO msg=forged",
		"rejected\u009bmsg",
		"ab\u0085",
		"\u0085",
	} {
		got := redact(in, m)
		if i := strings.IndexFunc(got, isLineBreakOrControl); i >= 0 {
			t.Errorf("redact(%q) = %q: keeps %U", in, got, []rune(got[i:])[0])
		}
		if !strings.Contains(in, "rejected") || strings.Contains(got, "rejected") {
			continue
		}
		t.Errorf("redact(%q) = %q: lost the text", in, got)
	}
}

func isLineBreakOrControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
