package verification_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit/authkit/verification"
)

// TestProve: Prove returns Check's credential and marks it canonical when
// the record's destination fields fit together as Start stores them; a
// record whose phone parts are missing or inconsistent (an old row, a
// hand-written one) is not canonical, so that its consumer validates it.
func TestProve(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		rec       func(*verification.Record) // edits the record the store returns; nil = as Start stored it
		req       func(t testing.TB) verification.StartRequest
		to        string
		canonical bool
	}{
		{"sms as started", nil, smsReq, usNumber, true},
		{"email as started", nil, func(testing.TB) verification.StartRequest { return emailReq("Jane@Example.com") }, "jane@example.com", true},
		{"sms without region", func(r *verification.Record) { r.PhoneRegion = "" }, smsReq, usNumber, false},
		{"sms without parts", func(r *verification.Record) { r.PhoneCountryCode, r.PhoneNational, r.PhoneRegion = "", "", "" }, smsReq, usNumber, false},
		{"sms parts not the destination", func(r *verification.Record) { r.PhoneNational = "9172113334" }, smsReq, usNumber, false},
		{"sms destination not digits", func(r *verification.Record) {
			r.Destination, r.PhoneCountryCode, r.PhoneNational = "+1917211333a", "1", "917211333a"
		}, smsReq, usNumber, false},
		{"email without destination", func(r *verification.Record) { r.Destination = "" }, func(testing.TB) verification.StartRequest { return emailReq("jane@example.com") }, "jane@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := &editStore{MemoryStore: verification.NewMemoryStore(), edit: tt.rec}
			f := newFixture(t, func(c *verification.Config) { c.Store = es })
			st, err := f.svc.Start(ctx, tt.req(t))
			if err != nil {
				t.Fatal(err)
			}
			m, ok := f.sent.Last(tt.to)
			if !ok {
				t.Fatal("nothing sent")
			}
			p, err := f.svc.Prove(ctx, st.ID, m.Code)
			if err != nil {
				t.Fatalf("Prove: %v", err)
			}
			if got, want := fmt.Sprint(p.Credential()), fmt.Sprint(verification.Credential(es.last)); got != want {
				t.Fatalf("credential = %s, want %s", got, want)
			}
			if p.Canonical() != tt.canonical {
				t.Fatalf("Canonical = %v, want %v", p.Canonical(), tt.canonical)
			}
			// Used up, as by Check.
			if _, err := f.svc.Prove(ctx, st.ID, m.Code); !errors.Is(err, verification.ErrAlreadyUsed) {
				t.Fatalf("second Prove: %v", err)
			}
		})
	}
}

// editStore edits the record a successful Attempt returns, as a store
// holding an old or altered row would return it.
type editStore struct {
	*verification.MemoryStore
	edit func(*verification.Record)
	last verification.Record
}

func (s *editStore) Attempt(ctx context.Context, id string, cands [][]byte, now time.Time, max int) (verification.Record, error) {
	rec, err := s.MemoryStore.Attempt(ctx, id, cands, now, max)
	if err == nil && s.edit != nil {
		s.edit(&rec)
	}
	s.last = rec
	return rec, err
}

// TestProveErrors: a refused code gives the zero Proof, not canonical.
func TestProveErrors(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	st, err := f.svc.Start(ctx, smsReq(t))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := f.sent.Last(usNumber)
	for _, tc := range []struct {
		id, code string
		want     error
	}{
		{st.ID, "12345", verification.ErrInvalidCode},
		{"not-a-uuid", m.Code, verification.ErrNotFound},
		{st.ID, wrongCode(m.Code), verification.ErrWrongCode},
	} {
		p, err := f.svc.Prove(ctx, tc.id, tc.code)
		if !errors.Is(err, tc.want) || p.Canonical() || p.Credential().Format != "" {
			t.Fatalf("Prove(%q, %q) = %+v, %v; want zero Proof, %v", tc.id, tc.code, p, err, tc.want)
		}
	}
	f.clock.Advance(time.Hour)
	if p, err := f.svc.Prove(ctx, st.ID, m.Code); !errors.Is(err, verification.ErrExpired) || p.Canonical() {
		t.Fatalf("expired: %+v, %v", p, err)
	}
}
