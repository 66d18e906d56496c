package main

import (
	"context"
	"net/http"
	"strconv"

	"github.com/authkit/authkit/devicebind"
)

// Device-bound requests (package devicebind): GET nonces hands out
// single-use nonces; the SDK signs one with its device key on the routes
// it lists as device-signed (sign-ins, OTP verify, refresh). A request
// with the headers must prove the device; one without them is an unknown
// device unless -require-device-signature. The key a sign-in proves is
// bound into the session's tokens, and refresh demands the same key.

// nonces is GET nonces?count=N: up to 5 nonces (1 without count).
func (s *server) nonces(w http.ResponseWriter, r *http.Request) error {
	n := 1
	if q := r.URL.Query().Get("count"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 {
			return errValidation("count must be a positive integer.")
		}
		n = min(v, devicebind.MaxNoncesPerCall)
	}
	ns, err := s.devices.Issue(r.Context(), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Nonces []string `json:"nonces"`
	}{ns})
	return nil
}

// nonce is GET nonce: one nonce.
func (s *server) nonce(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.devices.Issue(r.Context(), 1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Nonce string `json:"nonce"`
	}{ns[0]})
	return nil
}

// deviceCtxKey keys the request's proven device in its context.
type deviceCtxKey struct{}

// deviceBound verifies the request's device proof before h runs and
// hands h the device (deviceOf).
func (s *server) deviceBound(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, err := s.devices.VerifyRequest(r.Context(), r)
		if err != nil {
			return classifyDevice(err)
		}
		if !d.Known() {
			if s.cfg.RequireDeviceSignature {
				return errDeviceSignatureRequired()
			}
			return h(w, r) // deviceOf answers the unknown device already
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), deviceCtxKey{}, d)))
	}
}

// hdrSessionPublicKey is x-dyn-session-public-key in canonical form.
const hdrSessionPublicKey = "X-Dyn-Session-Public-Key"

// deviceOf is the device the request proved; unknown when none.
func deviceOf(r *http.Request) devicebind.Device {
	d, _ := r.Context().Value(deviceCtxKey{}).(devicebind.Device)
	return d
}

// headerSessionKey is the session public key of the x-dyn-session-public-key
// header, which Dynamic's SDK sends instead of the body's sessionPublicKey.
func headerSessionKey(r *http.Request) (string, error) {
	k := r.Header.Get(hdrSessionPublicKey)
	if k == "" {
		return "", nil
	}
	if validSessionPublicKey(k) != nil {
		return "", errInvalidSessionPublicKey()
	}
	return k, nil
}
