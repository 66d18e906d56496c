package devicebind

import (
	"net/http"
	"net/textproto"
	"testing"
)

// TestCanonicalHeaderNames: the names ProofFromHeaders reads are the
// canonical forms of the exported header names.
func TestCanonicalHeaderNames(t *testing.T) {
	for _, c := range []struct{ ours, name string }{
		{canonicalNonce, HeaderNonce},
		{canonicalPublicKey, HeaderPublicKey},
		{canonicalSignature, HeaderSignature},
	} {
		if got := textproto.CanonicalMIMEHeaderKey(c.name); got != c.ours {
			t.Errorf("canonical %q = %q, ProofFromHeaders reads %q", c.name, got, c.ours)
		}
	}
}

// TestProofFromHeadersAllocs: reading the headers allocates nothing, with
// or without a proof (it runs on every device-bound request).
func TestProofFromHeadersAllocs(t *testing.T) {
	with := http.Header{}
	with.Set(HeaderNonce, "n")
	with.Set(HeaderPublicKey, "k")
	with.Set(HeaderSignature, "s")
	for name, h := range map[string]http.Header{"none": {}, "proof": with} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = ProofFromHeaders(h) }); n != 0 {
			t.Errorf("%s: ProofFromHeaders allocates %v times", name, n)
		}
	}
}
