package verification

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// TestRedactUnicodeGrouping: digit groups joined by the other Unicode
// spaces (thin space in French and SI grouping, figure space, ideographic
// space), by any dash, or by full-width punctuation around full-width
// digits are one number, as with their ASCII forms.
func TestRedactUnicodeGrouping(t *testing.T) {
	m := Message{Channel: ChannelSMS, To: "+19172113333", MaskedTo: "+1 *** *** 3333", Code: "480213"}
	for _, in := range []string{
		"917\u2009211\u20093333",                     // THIN SPACE
		"+33\u20091\u200923\u200945\u200967\u200989", // French grouping
		"123\u2007456",                               // FIGURE SPACE
		"917\u3000211\u30003333",                     // IDEOGRAPHIC SPACE
		"917\u205f211\u205f3333",                     // MEDIUM MATHEMATICAL SPACE
		"９１７－２１１－３３３３",                               // full-width digits and hyphen-minus
		"（９１７）２１１－３３３３",                              // full-width brackets
		"＋１ ９１７ ２１１ ３３３３",                            // full-width plus
		"917\ufe63211\ufe633333",                     // SMALL HYPHEN-MINUS
		"917\ufe58211\ufe583333",                     // SMALL EM DASH
		"917\u2e3a211\u2e3a3333",                     // TWO-EM DASH
		"４８０．２１３",                                    // full-width full stop
		"480／213",                                    // full-width solidus
	} {
		for _, tmpl := range []string{"%s", "The 'To' number %s is not valid.", "code:%s."} {
			s := fmt.Sprintf(tmpl, in)
			got := redact(s, m)
			if n := digitCount(got); n >= minRedactDigits {
				t.Errorf("redact(%q) = %q: %d digits left", s, got, n)
			}
			if !strings.Contains(got, "***") {
				t.Errorf("redact(%q) = %q: nothing hidden", s, got)
			}
		}
	}
}

func digitCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
