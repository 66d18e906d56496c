package random

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDigitsUniformAndRejectsBias(t *testing.T) {
	// Bytes 250..255 must be skipped: 250 would map to '0' and bias it.
	src := bytes.NewReader([]byte{250, 251, 255, 9, 19, 249, 0, 100, 101, 102, 103, 104, 105})
	got, err := Digits(src, 6)
	if err != nil {
		t.Fatal(err)
	}
	if got != "999001" {
		t.Fatalf("Digits = %q, want 999001", got)
	}
	// Over many draws from crypto/rand every digit appears near 10%.
	var counts [10]int
	const n = 200000
	s, err := Digits(nil, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s {
		counts[c-'0']++
	}
	for d, c := range counts {
		if c < n/10*9/10 || c > n/10*11/10 {
			t.Errorf("digit %d drawn %d times of %d", d, c, n)
		}
	}
}

func TestShortRead(t *testing.T) {
	if _, err := Digits(bytes.NewReader([]byte{1, 2}), 6); !errors.Is(err, ErrShortRead) {
		t.Errorf("Digits: %v", err)
	}
	if _, err := Bytes(bytes.NewReader(nil), 4); !errors.Is(err, ErrShortRead) {
		t.Errorf("Bytes: %v", err)
	}
	if _, err := UUID(strings.NewReader("short")); !errors.Is(err, ErrShortRead) {
		t.Errorf("UUID: %v", err)
	}
	if _, err := Digits(nil, 0); err == nil {
		t.Error("Digits(0) succeeded")
	}
}

func TestUUID(t *testing.T) {
	u, err := UUID(bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if u != "00000000-0000-4000-8000-000000000000" {
		t.Errorf("UUID = %s", u)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u, err := UUID(nil)
		if err != nil || !IsUUID(u) || u[14] != '4' || seen[u] {
			t.Fatalf("UUID = %q, %v", u, err)
		}
		seen[u] = true
	}
	for _, s := range []string{"", "95b11417-f18f-457f-8804-68e361f9164", "95b11417f18f-457f-8804-68e361f9164ff", "95b11417-f18f-457f-8804-68e361f9164g"} {
		if IsUUID(s) {
			t.Errorf("IsUUID(%q)", s)
		}
	}
	if !IsUUID("95B11417-f18f-457f-8804-68e361f9164f") {
		t.Error("upper case rejected")
	}
}

func TestToken(t *testing.T) {
	tok, err := Token(nil, 32)
	if err != nil || len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("Token = %q, %v", tok, err)
	}
}
