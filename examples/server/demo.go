package main

import (
	"bytes"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/authkit/authkit/mfa"
)

// The demo page (development mode only): plain HTML, CSS and JS embedded
// from demo/, served at /demo/. The page calls the real API routes under
// /api/v0/sdk/{env}; the only route of its own is POST /demo/qr, which
// renders an otpauth URI as a PNG QR code.

//go:embed demo/index.html demo/app.js demo/style.css
var demoFiles embed.FS

// demoCSP keeps the page to its own files: no inline script or style, no
// third-party origin, no framing. blob: is for the QR code image, which
// the page fetches with a POST (the URI holds the TOTP secret, so it never
// goes into a URL).
const demoCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// demoQRSize is the width of the QR code the page shows, in pixels.
const demoQRSize = 240

// demoRoutes mounts the page on the root mux. The environment id goes
// into the page as a <meta> tag (the page has no inline script); it is a
// lower-case UUID (config.validate), so it needs no escaping.
func (s *server) demoRoutes(mux *http.ServeMux) error {
	files := map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"style.css":  "text/css; charset=utf-8",
	}
	for name, ctype := range files {
		b, err := demoFiles.ReadFile("demo/" + name)
		if err != nil {
			return err
		}
		path := "GET /demo/" + name
		if name == "index.html" {
			b = bytes.ReplaceAll(b, []byte("{{ENV}}"), []byte(s.cfg.Env))
			path = "GET /demo/{$}"
		}
		mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			infoOf(r.Context()).route = path
			writeDemoFile(w, ctype, b)
		}))
	}
	mux.Handle("POST /demo/qr", s.handle(s.demoQR))
	return nil
}

// writeDemoFile answers with one of the page's files and its security
// headers.
func writeDemoFile(w http.ResponseWriter, ctype string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", demoCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// demoQR is POST /demo/qr {"uri": "otpauth://…"}: the URI as a PNG QR
// code, for the TOTP enrolment step of the page. It renders only otpauth
// URIs and sends nothing anywhere.
func (s *server) demoQR(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		URI string `json:"uri"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if u, err := url.Parse(body.URI); err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") == "" {
		return errValidation("uri must be an otpauth://totp/ URI with a secret.")
	}
	png, err := mfa.QRCodePNG(body.URI, demoQRSize)
	if errors.Is(err, mfa.ErrQRCode) {
		return errValidation("uri must be an otpauth URI.")
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	w.Write(png)
	return nil
}
