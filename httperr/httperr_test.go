package httperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/captcha"
	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/keysync"
	"github.com/authkit/authkit/session/stepup"
	"github.com/authkit/authkit/store/postgres"
	"github.com/authkit/authkit/store/redis"
	"github.com/authkit/authkit/verification"
)

// sentinels names the value of every exported Err* variable of the module's
// library packages. TestEverySentinelIsListed finds them in the source, so a
// new sentinel fails until it is listed here, and TestEverySentinelIsMapped
// then makes it get a row (or a place in adapterOnly).
var sentinels = map[string]error{
	"authkit.ErrStoreUnavailable": authkit.ErrStoreUnavailable,

	"account.ErrNotFound":           account.ErrNotFound,
	"account.ErrCredentialNotFound": account.ErrCredentialNotFound,
	"account.ErrCredentialTaken":    account.ErrCredentialTaken,
	"account.ErrLastCredential":     account.ErrLastCredential,
	"account.ErrInvalidCredential":  account.ErrInvalidCredential,
	"account.ErrInvalidID":          account.ErrInvalidID,
	"account.ErrInvalidProfile":     account.ErrInvalidProfile,
	"account.ErrNoPurgers":          account.ErrNoPurgers,
	"account.ErrPurge":              account.ErrPurge,
	"account.ErrConfig":             account.ErrConfig,

	"captcha.ErrMissingToken": captcha.ErrMissingToken,
	"captcha.ErrFailed":       captcha.ErrFailed,
	"captcha.ErrUnavailable":  captcha.ErrUnavailable,
	"captcha.ErrConfig":       captcha.ErrConfig,

	"devicebind.ErrInvalidProof": devicebind.ErrInvalidProof,
	"devicebind.ErrMalformed":    devicebind.ErrMalformed,
	"devicebind.ErrBadSignature": devicebind.ErrBadSignature,
	"devicebind.ErrUnknownNonce": devicebind.ErrUnknownNonce,
	"devicebind.ErrNotFound":     devicebind.ErrNotFound,
	"devicebind.ErrDuplicate":    devicebind.ErrDuplicate,
	"devicebind.ErrConfig":       devicebind.ErrConfig,

	"mfa.ErrNotFound":                  mfa.ErrNotFound,
	"mfa.ErrDuplicate":                 mfa.ErrDuplicate,
	"mfa.ErrStepUsed":                  mfa.ErrStepUsed,
	"mfa.ErrAlreadyConfirmed":          mfa.ErrAlreadyConfirmed,
	"mfa.ErrInvalidCode":               mfa.ErrInvalidCode,
	"mfa.ErrRateLimited":               mfa.ErrRateLimited,
	"mfa.ErrNoPendingDevice":           mfa.ErrNoPendingDevice,
	"mfa.ErrDeviceNotFound":            mfa.ErrDeviceNotFound,
	"mfa.ErrTooManyDevices":            mfa.ErrTooManyDevices,
	"mfa.ErrInvalidRecoveryCode":       mfa.ErrInvalidRecoveryCode,
	"mfa.ErrNoRecoveryCodes":           mfa.ErrNoRecoveryCodes,
	"mfa.ErrRecoveryCodesAcknowledged": mfa.ErrRecoveryCodesAcknowledged,
	"mfa.ErrTokenInvalid":              mfa.ErrTokenInvalid,
	"mfa.ErrInvalidLabel":              mfa.ErrInvalidLabel,
	"mfa.ErrInvalidUser":               mfa.ErrInvalidUser,
	"mfa.ErrConfig":                    mfa.ErrConfig,
	"mfa.ErrLockedOut":                 mfa.ErrLockedOut,
	"mfa.ErrSealedOpen":                mfa.ErrSealedOpen,
	"mfa.ErrSealerKey":                 mfa.ErrSealerKey,
	"mfa.ErrQRCode":                    mfa.ErrQRCode,

	"oauth.ErrInvalidState":            oauth.ErrInvalidState,
	"oauth.ErrNotFound":                oauth.ErrNotFound,
	"oauth.ErrStateExpired":            oauth.ErrStateExpired,
	"oauth.ErrStateUsed":               oauth.ErrStateUsed,
	"oauth.ErrDuplicate":               oauth.ErrDuplicate,
	"oauth.ErrConfig":                  oauth.ErrConfig,
	"oauth.ErrStateMismatch":           oauth.ErrStateMismatch,
	"oauth.ErrCallbackRecorded":        oauth.ErrCallbackRecorded,
	"oauth.ErrBrowserMismatch":         oauth.ErrBrowserMismatch,
	"oauth.ErrUnknownProvider":         oauth.ErrUnknownProvider,
	"oauth.ErrRedirectURLNotAllowed":   oauth.ErrRedirectURLNotAllowed,
	"oauth.ErrInvalidStateValue":       oauth.ErrInvalidStateValue,
	"oauth.ErrInvalidCodeChallenge":    oauth.ErrInvalidCodeChallenge,
	"oauth.ErrInvalidCodeVerifier":     oauth.ErrInvalidCodeVerifier,
	"oauth.ErrExchangeFailed":          oauth.ErrExchangeFailed,
	"oauth.ErrInvalidIDToken":          oauth.ErrInvalidIDToken,
	"oauth.ErrUserInfoSubjectMismatch": oauth.ErrUserInfoSubjectMismatch,
	"oauth.ErrProviderError":           oauth.ErrProviderError,
	"oauth.ErrProviderUnavailable":     oauth.ErrProviderUnavailable,

	"passkey.ErrNotFound":           passkey.ErrNotFound,
	"passkey.ErrDuplicate":          passkey.ErrDuplicate,
	"passkey.ErrTooManyPasskeys":    passkey.ErrTooManyPasskeys,
	"passkey.ErrCeremonyMismatch":   passkey.ErrCeremonyMismatch,
	"passkey.ErrSignCount":          passkey.ErrSignCount,
	"passkey.ErrLastCredential":     passkey.ErrLastCredential,
	"passkey.ErrInvalidUser":        passkey.ErrInvalidUser,
	"passkey.ErrUnknownRPID":        passkey.ErrUnknownRPID,
	"passkey.ErrInvalidResponse":    passkey.ErrInvalidResponse,
	"passkey.ErrChallenge":          passkey.ErrChallenge,
	"passkey.ErrVerification":       passkey.ErrVerification,
	"passkey.ErrCredentialNotFound": passkey.ErrCredentialNotFound,
	"passkey.ErrCredentialExists":   passkey.ErrCredentialExists,
	"passkey.ErrNoPasskeys":         passkey.ErrNoPasskeys,
	"passkey.ErrInvalidAlias":       passkey.ErrInvalidAlias,
	"passkey.ErrConfig":             passkey.ErrConfig,

	"phone.ErrInvalidInput":   phone.ErrInvalidInput,
	"phone.ErrUnknownRegion":  phone.ErrUnknownRegion,
	"phone.ErrRegionMismatch": phone.ErrRegionMismatch,
	"phone.ErrInvalidNumber":  phone.ErrInvalidNumber,
	"phone.ErrNotAllowed":     phone.ErrNotAllowed,

	"ratelimit.ErrConfig":      ratelimit.ErrConfig,
	"ratelimit.ErrInvalidRule": ratelimit.ErrInvalidRule,
	"ratelimit.ErrLimited":     ratelimit.ErrLimited,

	"session.ErrExpired":           session.ErrExpired,
	"session.ErrInvalidToken":      session.ErrInvalidToken,
	"session.ErrRevoked":           session.ErrRevoked,
	"session.ErrInsufficientScope": session.ErrInsufficientScope,
	"session.ErrInvalidRequest":    session.ErrInvalidRequest,
	"session.ErrConfig":            session.ErrConfig,
	"session.ErrNoToken":           session.ErrNoToken,
	"session.ErrCSRF":              session.ErrCSRF,
	"session.ErrNotFound":          session.ErrNotFound,
	"session.ErrDuplicate":         session.ErrDuplicate,
	"session.ErrAlreadyUsed":       session.ErrAlreadyUsed,
	"session.ErrRefreshReuse":      session.ErrRefreshReuse,
	"stepup.ErrRequired":           stepup.ErrRequired,
	"stepup.ErrMFATokenInvalid":    stepup.ErrMFATokenInvalid,
	"keysync.ErrSchedule":          keysync.ErrSchedule,

	"verification.ErrNotFound":             verification.ErrNotFound,
	"verification.ErrExpired":              verification.ErrExpired,
	"verification.ErrWrongCode":            verification.ErrWrongCode,
	"verification.ErrTooManyAttempts":      verification.ErrTooManyAttempts,
	"verification.ErrAlreadyUsed":          verification.ErrAlreadyUsed,
	"verification.ErrRateLimited":          verification.ErrRateLimited,
	"verification.ErrSendLimitUnavailable": verification.ErrSendLimitUnavailable,
	"verification.ErrCaptchaFailed":        verification.ErrCaptchaFailed,
	"verification.ErrDestinationRejected":  verification.ErrDestinationRejected,
	"verification.ErrInvalidCode":          verification.ErrInvalidCode,
	"verification.ErrInvalidDestination":   verification.ErrInvalidDestination,
	"verification.ErrChannelUnavailable":   verification.ErrChannelUnavailable,
	"verification.ErrSendFailed":           verification.ErrSendFailed,
	"verification.ErrDuplicate":            verification.ErrDuplicate,
	"verification.ErrConfig":               verification.ErrConfig,

	"postgres.ErrUnavailable":     postgres.ErrUnavailable,
	"postgres.ErrConfig":          postgres.ErrConfig,
	"postgres.ErrInvalidArgument": postgres.ErrInvalidArgument,
	"redis.ErrUnavailable":        redis.ErrUnavailable,
	"redis.ErrConfig":             redis.ErrConfig,
	"redis.ErrInvalidArgument":    redis.ErrInvalidArgument,
}

// adapterOnly are the store adapters' sentinels that have no row, so that
// the mapping does not link pgx and go-redis: each means a bug or a
// misconfiguration and is answered 500 like any unknown error. The
// adapters' outages are mapped through authkit.ErrStoreUnavailable.
var adapterOnly = map[string]bool{
	"postgres.ErrConfig":          true,
	"postgres.ErrInvalidArgument": true,
	"redis.ErrConfig":             true,
	"redis.ErrInvalidArgument":    true,
}

// librarySentinels parses the module's library packages (not internal/,
// examples/ or the …test helper packages, which no handler answers with)
// and returns "pkg.ErrName" for every exported variable named Err*.
func librarySentinels(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, dir)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "internal" ||
			base == "examples" || strings.HasSuffix(base, "test")) {
			return filepath.SkipDir
		}
		fset := token.NewFileSet()
		var files []*ast.File
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		if len(files) == 0 {
			return nil
		}
		p, err := doc.NewFromFiles(fset, files, "example.com/"+filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		vars := p.Vars
		for _, typ := range p.Types {
			vars = append(vars, typ.Vars...)
		}
		for _, v := range vars {
			for _, n := range v.Names {
				if strings.HasPrefix(n, "Err") && ast.IsExported(n) {
					names = append(names, p.Name+"."+n)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func TestEverySentinelIsListed(t *testing.T) {
	found := librarySentinels(t)
	if len(found) < 100 {
		t.Fatalf("found only %d sentinels; is the walk broken?", len(found))
	}
	seen := map[string]bool{}
	for _, n := range found {
		seen[n] = true
		if _, ok := sentinels[n]; !ok {
			t.Errorf("%s is not listed in sentinels (then give it a row in table.go)", n)
		}
	}
	for n := range sentinels {
		if !seen[n] {
			t.Errorf("sentinels lists %s, which the source does not export", n)
		}
	}
}

func TestEverySentinelIsMapped(t *testing.T) {
	for name, err := range sentinels {
		a, ok := Lookup(err)
		if adapterOnly[name] {
			if ok {
				t.Errorf("%s: adapterOnly but mapped to %+v", name, a)
			}
			if got := Of(err); got != internal {
				t.Errorf("Of(%s) = %+v, want the internal answer", name, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s has no row", name)
			continue
		}
		if a.Status < 400 || a.Status > 599 || a.Code == "" || a.Message == "" {
			t.Errorf("%s: incomplete answer %+v", name, a)
		}
		// Wrapped with context, as services return them, the answer holds.
		if got := Of(fmt.Errorf("op failed for user 42: %w", err)); got != a {
			t.Errorf("%s wrapped: %+v, want %+v", name, got, a)
		}
	}
}

// TestRowsAnswerTheirOwnSentinel proves the order: no row is shadowed by
// an earlier one that its sentinel also matches (a child listed after its
// parent, say).
func TestRowsAnswerTheirOwnSentinel(t *testing.T) {
	listed := map[error]bool{}
	for _, err := range sentinels {
		listed[err] = true
	}
	for i, r := range rows {
		if !listed[r.err] {
			t.Errorf("row %d (%v) is not a listed sentinel", i, r.err)
		}
		for j := range i {
			if errors.Is(r.err, rows[j].err) && (rows[j].status != r.status || rows[j].code != r.code) {
				t.Errorf("row %d (%v) is shadowed by row %d (%v)", i, r.err, j, rows[j].err)
			}
		}
	}
}

func TestCodes(t *testing.T) {
	for _, r := range rows {
		if r.code != strings.ToLower(r.code) || strings.ContainsAny(r.code, " -.") {
			t.Errorf("%v: code %q is not snake_case", r.err, r.code)
		}
		if (r.code == CodeInternal) != (r.status == http.StatusInternalServerError) {
			t.Errorf("%v: status %d with code %q: only 500 is internal_error", r.err, r.status, r.code)
		}
	}
}

// TestSessionAgrees: for the token errors, the mapping gives the status
// and code session's own middleware writes
// (session.MiddlewareConfig.WriteError), and stepup's for its refusal.
func TestSessionAgrees(t *testing.T) {
	written := func(write func(http.ResponseWriter, *http.Request, error), err error) (int, string) {
		w := httptest.NewRecorder()
		write(w, httptest.NewRequest("GET", "/", nil), err)
		var body struct {
			Code string `json:"code"`
		}
		if e := json.Unmarshal(w.Body.Bytes(), &body); e != nil {
			t.Fatalf("%v: body %q: %v", err, w.Body, e)
		}
		return w.Code, body.Code
	}
	checked := 0
	for name, err := range sentinels {
		if !strings.HasPrefix(name, "session.") {
			continue
		}
		st, code := written(session.MiddlewareConfig{}.WriteError, err)
		if st == http.StatusInternalServerError {
			continue
		}
		checked++
		if a := Of(err); a.Status != st || a.Code != code {
			t.Errorf("%s: %d %q, session says %d %q", name, a.Status, a.Code, st, code)
		}
	}
	if checked < 6 {
		t.Fatalf("only %d session sentinels compared", checked)
	}
	su := &stepup.Error{Scope: authkit.ScopeCredentialLink, Err: session.ErrNoToken}
	if st, code := written(stepup.WriteError, su); Of(su).Status != st || Of(su).Code != code {
		t.Errorf("stepup.Error: %+v, stepup says %d %q", Of(su), st, code)
	}
}

func TestOf(t *testing.T) {
	stepUp := &stepup.Error{Scope: authkit.Scope("wallet:export"), Err: stepup.ErrMFATokenInvalid}
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter time.Duration
	}{
		{"unknown error", errors.New("boom"), 500, CodeInternal, 0},
		{"config error discloses nothing", fmt.Errorf("%w: secret=hunter2", session.ErrConfig), 500, CodeInternal, 0},
		{"verification rate limit", fmt.Errorf("start: %w", &ratelimit.LimitedError{RetryAfter: 1500 * time.Millisecond, Err: verification.ErrRateLimited}), 429, "verification_rate_limited", 1500 * time.Millisecond},
		{"mfa window", &ratelimit.LimitedError{RetryAfter: time.Minute, Err: mfa.ErrRateLimited}, 429, "mfa_rate_limited", time.Minute},
		{"mfa lockout has no retry", errors.Join(mfa.ErrRateLimited, mfa.ErrLockedOut), 429, "mfa_locked_out", 0},
		{"limiter", &ratelimit.LimitedError{RetryAfter: 2 * time.Second}, 429, "rate_limited", 2 * time.Second},
		{"postgres outage", fmt.Errorf("%w: dial tcp: refused", postgres.ErrUnavailable), 503, "store_unavailable", 0},
		{"redis outage inside a purge", fmt.Errorf("%w: %w", account.ErrPurge, redis.ErrUnavailable), 503, "store_unavailable", 0},
		{"captcha outage inside verification", fmt.Errorf("%w: %w", verification.ErrCaptchaFailed, captcha.ErrUnavailable), 503, "captcha_unavailable", 0},
		{"captcha refusal inside verification", fmt.Errorf("%w: %w", verification.ErrCaptchaFailed, captcha.ErrFailed), 422, "captcha_failed", 0},
		{"oauth child state", oauth.ErrStateExpired, 400, "oauth_state_expired", 0},
		{"provider error type", &oauth.ProviderError{Code: "access_denied"}, 422, "oauth_provider_error", 0},
		{"refresh reuse before revoked", fmt.Errorf("%w: %w", session.ErrRefreshReuse, session.ErrRevoked), 401, "invalid_token", 0},
		{"step-up error", stepUp, 401, "step_up_required", 0},
		{"devicebind child", devicebind.ErrBadSignature, 403, "invalid_device_proof", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Of(tc.err)
			if a.Status != tc.status || a.Code != tc.code || a.RetryAfter != tc.retryAfter {
				t.Fatalf("Of = %+v, want %d %q retry %v", a, tc.status, tc.code, tc.retryAfter)
			}
			if strings.Contains(a.Message, "hunter2") || strings.Contains(a.Message, "refused") {
				t.Fatalf("message %q leaks the wrapped chain", a.Message)
			}
		})
	}
	if a := Of(nil); a != (Answer{}) {
		t.Fatalf("Of(nil) = %+v", a)
	}
	if _, ok := Lookup(nil); ok {
		t.Fatal("Lookup(nil) ok")
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		body       string
		retryAfter string
	}{
		{"wrong code", fmt.Errorf("check abc: %w", verification.ErrWrongCode), 422,
			`{"error":"verification: wrong code","code":"verification_wrong_code"}`, ""},
		{"rate limit rounds up", &ratelimit.LimitedError{RetryAfter: 1001 * time.Millisecond, Err: verification.ErrRateLimited}, 429,
			`{"error":"verification: too many sends to this destination","code":"verification_rate_limited"}`, "2"},
		{"unknown", errors.New("pq: password=x"), 500, `{"error":"internal error","code":"internal_error"}`, ""},
		{"nil", nil, 500, `{"error":"internal error","code":"internal_error"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, tc.err)
			if rec.Code != tc.status || strings.TrimSpace(rec.Body.String()) != tc.body {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.body)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("headers %v", rec.Header())
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 1}, {-time.Second, 1}, {time.Nanosecond, 1}, {time.Second, 1},
		{time.Second + 1, 2}, {90 * time.Second, 90}, {time.Duration(1<<63 - 1), int((1<<63-1)/int64(time.Second)) + 1},
	}
	for _, tc := range tests {
		if got := RetryAfterSeconds(tc.d); got != tc.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// TestWriteChallenge: Write sends the WWW-Authenticate challenge that
// session's and stepup's own writers send for the same refusal, and none
// for errors that are not token refusals.
func TestWriteChallenge(t *testing.T) {
	header := func(write func(http.ResponseWriter, *http.Request, error), err error) string {
		w := httptest.NewRecorder()
		write(w, httptest.NewRequest("GET", "/", nil), err)
		return w.Header().Get("WWW-Authenticate")
	}
	ours := func(w http.ResponseWriter, _ *http.Request, err error) { Write(w, err) }
	challenged := 0
	for name, err := range sentinels {
		want := ""
		if strings.HasPrefix(name, "session.") {
			want = header(session.MiddlewareConfig{}.WriteError, err)
		}
		if got := header(ours, err); got != want {
			t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, want)
		}
		if want != "" {
			challenged++
		}
	}
	if challenged < 5 {
		t.Fatalf("only %d session sentinels carry a challenge", challenged)
	}
	for _, err := range []error{
		&stepup.Error{Scope: authkit.ScopeCredentialLink, Err: session.ErrNoToken, MaxAge: 5 * time.Minute},
		fmt.Errorf("route: %w", session.ErrNoToken),
	} {
		want := header(stepup.WriteError, err)
		if want == "" {
			t.Fatalf("%v: stepup wrote no challenge", err)
		}
		if got := header(ours, err); got != want {
			t.Errorf("%v: WWW-Authenticate %q, want %q", err, got, want)
		}
	}
	if got := header(ours, session.ErrNoToken); got != "Bearer" {
		t.Errorf("no token: %q, want Bearer (RFC 6750 §3.1: no error code)", got)
	}
}
