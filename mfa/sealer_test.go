package mfa

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealerRoundTrip(t *testing.T) {
	s, err := NewAESGCMSealer(testKey("k1", 1))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdefghij")
	sealed, err := s.Seal(secret, []byte("device-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	if want := 1 + 2 + 12 + len(secret) + 16; len(sealed) != want {
		t.Fatalf("sealed length %d, want %d", len(sealed), want)
	}
	got, err := s.Open(sealed, []byte("device-1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := s.Seal(secret, []byte("device-1"))
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
}

func TestSealerRejects(t *testing.T) {
	s, _ := NewAESGCMSealer(testKey("k1", 1))
	ad := []byte("device-1")
	sealed, _ := s.Seal([]byte("secret"), ad)

	if _, err := s.Open(sealed, []byte("device-2")); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("wrong device id = %v", err)
	}
	if _, err := s.Open(sealed, nil); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("no associated data = %v", err)
	}
	wrongKey, _ := NewAESGCMSealer(testKey("k1", 2))
	if _, err := wrongKey.Open(sealed, ad); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("wrong key under the same id = %v", err)
	}
	unknown, _ := NewAESGCMSealer(testKey("k9", 1))
	if _, err := unknown.Open(sealed, ad); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("unknown key id = %v", err)
	}
	// Any flipped bit, anywhere, is rejected.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := s.Open(bad, ad); !errors.Is(err, ErrSealedOpen) {
			t.Fatalf("bit flip at byte %d = %v", i, err)
		}
	}
	for n := 0; n < len(sealed); n++ {
		if _, err := s.Open(sealed[:n], ad); !errors.Is(err, ErrSealedOpen) {
			t.Fatalf("truncated to %d bytes = %v", n, err)
		}
	}
}

func TestSealerRotation(t *testing.T) {
	k1, k2 := testKey("2026-01", 1), testKey("2026-06", 2)
	old, _ := NewAESGCMSealer(k1)
	sealedOld, _ := old.Seal([]byte("secret"), []byte("d"))

	rotated, err := NewAESGCMSealer(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealedOld, []byte("d"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("open an old value after rotation = %q, %v", got, err)
	}
	sealedNew, _ := rotated.Seal([]byte("secret"), []byte("d"))
	if id, ok := KeyID(sealedNew); !ok || id != "2026-06" {
		t.Fatalf("new seal under %q, want the newest key", id)
	}
	if _, err := old.Open(sealedNew, []byte("d")); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("old sealer opened a value of the new key: %v", err)
	}
	// Once the old key is retired, its values no longer open.
	retired, _ := NewAESGCMSealer(k2)
	if _, err := retired.Open(sealedOld, []byte("d")); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("retired key: %v", err)
	}
	// The key id is authenticated: relabelling a value with another known id fails.
	relabelled := append([]byte{byte(len("2026-06"))}, "2026-06"...)
	relabelled = append(relabelled, sealedOld[1+len("2026-01"):]...)
	if _, err := rotated.Open(relabelled, []byte("d")); !errors.Is(err, ErrSealedOpen) {
		t.Fatalf("relabelled value = %v", err)
	}
}

func TestSealerKeys(t *testing.T) {
	for name, keys := range map[string][]Key{
		"none":     nil,
		"empty id": {testKey("", 1)},
		"long id":  {testKey(strings.Repeat("k", 256), 1)},
		"repeated": {testKey("a", 1), testKey("a", 2)},
		"zero key": {{ID: "z"}},
		"zero 2nd": {testKey("a", 1), {ID: "z"}},
	} {
		if _, err := NewAESGCMSealer(keys...); !errors.Is(err, ErrSealerKey) {
			t.Errorf("%s: err = %v, want ErrSealerKey", name, err)
		}
	}
	if _, ok := KeyID(nil); ok {
		t.Fatal("KeyID(nil) ok")
	}
	if _, ok := KeyID([]byte{5, 'a'}); ok {
		t.Fatal("KeyID of a truncated value ok")
	}
}

func FuzzSealerOpen(f *testing.F) {
	s, _ := NewAESGCMSealer(testKey("k1", 1))
	good, _ := s.Seal([]byte("secret"), []byte("d"))
	f.Add(good, []byte("d"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{2, 'k', '1'}, []byte("d"))
	f.Add([]byte{255}, []byte(nil))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		pt, err := s.Open(sealed, ad)
		if err != nil {
			if !errors.Is(err, ErrSealedOpen) {
				t.Fatalf("error %v is not ErrSealedOpen", err)
			}
			return
		}
		// Only a genuine seal opens. (Each fuzz worker seals its own seed
		// with a fresh nonce, so compare contents, not bytes.)
		if string(ad) != "d" || string(pt) != "secret" {
			t.Fatalf("forged value opened: %x", sealed)
		}
	})
}
