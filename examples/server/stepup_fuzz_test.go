package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/session"
)

// FuzzStepUpCheck sends arbitrary bodies to POST stepUp/check with a valid
// session: the answer is 200 with a boolean isRequired and a credentials
// array (empty when nothing is required), or a 4xx with an error body;
// never a 5xx or a panic.
func FuzzStepUpCheck(f *testing.F) {
	for _, seed := range []string{
		`{"scope":"credential:link"}`, `{"scope":"credential:update"}`, `{"scope":"user:delete"}`,
		`{"scope":"wallet:sign"}`, `{"scope":"console:mfa:reset"}`, `{"scope":"credential:link "}`,
		`{"scope":7}`, `{"scope":null}`, `{}`, `null`, `[]`, `{"scope":"credential:link","x":1}`, ``,
	} {
		f.Add(seed)
	}
	cfg := defaultConfig()
	cfg.Env = testEnvID
	cfg.IPLimit = ""
	cfg.Issuer = "http://127.0.0.1:1" + apiPrefix + testEnvID
	srv, err := newServer(context.Background(), cfg, serverOptions{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	// A session of a user the directory does not hold: the guard's answer
	// for a user without MFA, and a refusal where credentials are listed.
	toks, err := srv.sessions.Mint(context.Background(), authkit.User{ID: "5a0c2f4e-1d3b-4e6f-8a9b-0c1d2e3f4a5b", ProjectEnvironmentID: testEnvID}, session.MintOptions{})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", apiPrefix+testEnvID+"/stepUp/check", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+toks.MinifiedJWT)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch {
		case w.Code == 200:
			var c struct {
				IsRequired  *bool             `json:"isRequired"`
				Credentials []json.RawMessage `json:"credentials"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || c.IsRequired == nil || c.Credentials == nil || (!*c.IsRequired && len(c.Credentials) > 0) {
				t.Fatalf("%q: 200 %s", body, w.Body)
			}
		case w.Code >= 400 && w.Code < 500:
			var e errorBody
			if err := json.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(&e); err != nil || e.Code == "" || e.Error == "" {
				t.Fatalf("%q: error body %q", body, w.Body)
			}
		default:
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}
