package verification

import (
	"regexp"
	"strings"
	"testing"
)

// uuidForm is the reference for canonicalID: 8-4-4-4-12 hex digits.
var uuidForm = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func referenceCanonicalID(id string) (string, bool) {
	if !uuidForm.MatchString(id) {
		return "", false
	}
	return strings.ToLower(id), true
}

func TestCanonicalID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f", "0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f", true},
		{"0F8B6C1E-2D3A-4B5C-8D9E-0A1B2C3D4E5F", "0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f", true},
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5", "", false},     // short
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f0", "", false},   // long
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5g", "", false},    // not hex
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e-f", "", false},    // a fifth dash
		{"0f8b6c1e12d3a-4b5c-8d9e-0a1b2c3d4e5f", "", false},    // dash missing
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5\x00", "", false}, // NUL
		{"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5é"[:36], "", false},
		{"", "", false},
	} {
		got, ok := canonicalID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("canonicalID(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzCanonicalID holds canonicalID to the regular-expression reference.
func FuzzCanonicalID(f *testing.F) {
	for _, s := range []string{
		"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f",
		"0F8B6C1E-2D3A-4B5C-8D9E-0A1B2C3D4E5F",
		"0f8b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e-f",
		"gggggggg-gggg-gggg-gggg-gggggggggggg",
		"------------------------------------",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got, ok := canonicalID(id)
		want, wok := referenceCanonicalID(id)
		if got != want || ok != wok {
			t.Fatalf("canonicalID(%q) = %q, %v; reference %q, %v", id, got, ok, want, wok)
		}
	})
}
