package devicebind_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/authkit/authkit/devicebind"
)

// What a device does with a nonce, and what the server learns: the device
// key, to bind into the session it mints. The same proof twice is a replay.
func ExampleService_Verify() {
	ctx := context.Background()
	svc, err := devicebind.New(devicebind.Config{Store: devicebind.NewMemoryStore()})
	if err != nil {
		panic(err)
	}
	nonces, err := svc.Issue(ctx, 1)
	if err != nil {
		panic(err)
	}

	// The device: a P-256 key kept on the device; it signs SHA-256 of the
	// nonce and sends r‖s and its compressed public key, in hex.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte(nonces[0]))
	r, s, _ := ecdsa.Sign(rand.Reader, key, digest[:])
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	proof := devicebind.Proof{
		Nonce:     nonces[0],
		PublicKey: hex.EncodeToString(elliptic.MarshalCompressed(elliptic.P256(), key.X, key.Y)),
		Signature: hex.EncodeToString(sig),
	}

	dev, err := svc.Verify(ctx, proof)
	fmt.Println(dev.Known(), dev.PublicKey == proof.PublicKey, err)
	// The host mints the session with
	// session.MintOptions{DevicePublicKey: dev.PublicKey} and, on refresh,
	// refuses a token whose device_public_key is not the proven one.

	_, err = svc.Verify(ctx, proof)
	fmt.Println(errors.Is(err, devicebind.ErrUnknownNonce), errors.Is(err, devicebind.ErrInvalidProof))
	// Output:
	// true true <nil>
	// true true
}
