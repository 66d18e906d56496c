package mfa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/random"
)

// Recovery-code shape: 16 characters of Crockford base32 (80 bits from the
// random source, above the 64 bits NIST SP 800-63B-4 §4.2.1.1 asks of saved
// recovery codes), shown as four dash-separated groups of four.
const (
	recoveryBytes = 10 // 80 bits
	recoveryChars = 16 // 80 / 5
	crockford     = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// encodeRecovery encodes 10 bytes as 16 Crockford base32 characters.
func encodeRecovery(b []byte) string {
	var out [recoveryChars]byte
	var acc uint64
	bits := 0
	j := 0
	for _, c := range b {
		acc = acc<<8 | uint64(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[j] = crockford[(acc>>bits)&31]
			j++
		}
	}
	return string(out[:])
}

// FormatRecoveryCode groups a canonical 16-character code as XXXX-XXXX-XXXX-XXXX.
func FormatRecoveryCode(canonical string) string {
	if len(canonical) != recoveryChars {
		return canonical
	}
	return canonical[0:4] + "-" + canonical[4:8] + "-" + canonical[8:12] + "-" + canonical[12:16]
}

// recoveryInput maps an input byte to its canonical character, to
// skipByte for a separator, or to 0 for a byte no code contains.
var recoveryInput = func() (t [256]byte) {
	for _, c := range []byte(crockford) {
		t[c] = c
		if c >= 'A' && c <= 'Z' {
			t[c+'a'-'A'] = c
		}
	}
	for in, out := range map[byte]byte{'I': '1', 'i': '1', 'L': '1', 'l': '1', 'O': '0', 'o': '0'} {
		t[in] = out
	}
	t[' '], t['-'], t['\t'] = skipByte, skipByte, skipByte
	return t
}()

const skipByte = 0xff

// NormalizeRecoveryCode turns user input into the canonical 16-character
// code: case is ignored, spaces and dashes are dropped, and the letters
// Crockford's base32 treats as confusable are mapped (I and L to 1, O to 0).
// U is not part of the alphabet. It reports false for anything else.
func NormalizeRecoveryCode(s string) (string, bool) {
	var out [recoveryChars]byte
	if !normalizeRecovery(&out, s) {
		return "", false
	}
	return string(out[:]), true
}

// normalizeRecovery is NormalizeRecoveryCode into out.
func normalizeRecovery(out *[recoveryChars]byte, s string) bool {
	if len(s) == 19 && s[4] == '-' && s[9] == '-' && s[14] == '-' {
		// The shape FormatRecoveryCode shows, without a branch per byte:
		// c-1 has its top bit set exactly when c is 0 (no code holds the
		// byte) or skipByte (a separator inside a group).
		// Four bytes at a time, through slices the compiler can see are in
		// range, so that no byte pays a bounds check.
		t := &recoveryInput
		var bad byte
		for g := range 4 {
			in, o := s[g*5:g*5+4], out[g*4:g*4+4]
			c0, c1, c2, c3 := t[in[0]], t[in[1]], t[in[2]], t[in[3]]
			o[0], o[1], o[2], o[3] = c0, c1, c2, c3
			bad |= (c0 - 1) | (c1 - 1) | (c2 - 1) | (c3 - 1)
		}
		return bad&0x80 == 0
	}
	if len(s) > 64 {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := recoveryInput[s[i]]
		switch {
		case c == skipByte:
			continue
		case c == 0 || n == recoveryChars:
			return false
		}
		out[n] = c
		n++
	}
	return n == recoveryChars
}

func recoveryAD(userID string) []byte { return []byte("recovery:" + userID) }

// newRecoverySet draws a fresh set of codes and returns the stored form and
// the formatted codes.
func (s *Service) newRecoverySet(userID string) (RecoverySet, []string, error) {
	set := RecoverySet{UserID: userID, CreatedAt: s.now(), Acknowledgement: authkit.AcknowledgementPending}
	shown := make([]string, 0, s.recoveryN)
	for i := 0; i < s.recoveryN; i++ {
		raw, err := random.Bytes(s.rand, recoveryBytes)
		if err != nil {
			return RecoverySet{}, nil, err
		}
		code := encodeRecovery(raw)
		sealed, err := s.sealer.Seal([]byte(code), recoveryAD(userID))
		if err != nil {
			return RecoverySet{}, nil, fmt.Errorf("mfa: seal recovery code: %w", err)
		}
		set.Codes = append(set.Codes, RecoveryCodeRecord{
			Digest: s.hash.Sum(userID, code),
			Sealed: sealed,
		})
		shown = append(shown, FormatRecoveryCode(code))
	}
	return set, shown, nil
}

// openSet returns the formatted unused codes of a stored set.
func (s *Service) openSet(set RecoverySet) ([]string, error) {
	out := make([]string, 0, len(set.Codes))
	for _, c := range set.Codes {
		code, err := s.sealer.Open(c.Sealed, recoveryAD(set.UserID))
		if err != nil {
			return nil, fmt.Errorf("mfa: open recovery code: %w", err)
		}
		out = append(out, FormatRecoveryCode(string(code)))
	}
	return out, nil
}

// RecoveryCodes reveals the user's unused recovery codes (GET
// users/mfa/recovery), creating a set of RecoveryCodeCount codes
// (acknowledgement pending) if the user has none. The codes are a secret
// shown once: they are revealed only while the acknowledgement is pending,
// and ErrRecoveryCodesAcknowledged (nothing revealed) once the user has
// acknowledged them; RecoveryStatus still tells how many remain. The state
// and the codes are read in one store operation, so an acknowledgement is
// never overtaken by a reveal that started after it.
//
// The caller decides who may see them: only a session that proved a second
// factor moments ago or presents an MFA or elevated token (NIST SP
// 800-63B-4 §4.2.1.1; stepup.ActionRevealRecoveryCodes), and only a user
// with a verified second factor, since a recovery code passes MFA.
//
// Codes are stored twice: as a keyed hash, used to check them, and sealed
// with the Sealer, only so that this method can show the pending set
// again; a used code is removed from both.
func (s *Service) RecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	if userID == "" {
		return nil, ErrInvalidUser
	}
	cur, err := s.store.GetRecoverySet(ctx, userID)
	if err == nil {
		return s.reveal(cur)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	set, shown, err := s.newRecoverySet(userID)
	if err != nil {
		return nil, err
	}
	cur, created, err := s.store.CreateRecoverySet(ctx, set)
	if err != nil {
		return nil, err
	}
	if !created { // a concurrent call created the set first
		return s.reveal(cur)
	}
	s.log.InfoContext(ctx, "mfa: recovery codes created", "user", userID)
	return shown, nil
}

// reveal opens a stored set unless it was acknowledged.
func (s *Service) reveal(set RecoverySet) ([]string, error) {
	if set.Acknowledgement == authkit.AcknowledgementComplete {
		return nil, ErrRecoveryCodesAcknowledged
	}
	return s.openSet(set)
}

// RecoveryStatus says what may be shown about the user's recovery codes
// without revealing them: how many are unused and the acknowledgement
// state (zero values when the user has no set). It never creates a set.
type RecoveryStatus struct {
	// Count is the number of unused codes.
	Count int
	// Acknowledgement is "" without a set, else authkit.AcknowledgementPending or authkit.AcknowledgementComplete.
	Acknowledgement authkit.BackupCodeAcknowledgement
}

// RecoveryStatus returns the user's RecoveryStatus.
func (s *Service) RecoveryStatus(ctx context.Context, userID string) (RecoveryStatus, error) {
	if userID == "" {
		return RecoveryStatus{}, ErrInvalidUser
	}
	set, err := s.store.GetRecoverySet(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return RecoveryStatus{}, nil
	}
	if err != nil {
		return RecoveryStatus{}, err
	}
	return RecoveryStatus{Count: len(set.Codes), Acknowledgement: set.Acknowledgement}, nil
}

// RegenerateRecoveryCodes replaces the user's set with RecoveryCodeCount new
// codes (POST users/mfa/recovery): every previous code stops working, and the
// acknowledgement state becomes pending. Like RecoveryCodes it is for a
// session that proved a second factor moments ago
// (stepup.ActionRegenerateRecoveryCodes).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	if userID == "" {
		return nil, ErrInvalidUser
	}
	set, shown, err := s.newRecoverySet(userID)
	if err != nil {
		return nil, err
	}
	if err := s.store.ReplaceRecoverySet(ctx, set); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "mfa: recovery codes regenerated", "user", userID)
	return shown, nil
}

// AuthenticateRecovery uses up one recovery code and returns how many remain,
// so the host can notify the user and offer a new set when few are left
// (NIST SP 800-63B-4 §4.2.1.1). Checking costs one keyed hash (one per
// configured hash key while a rotation is under way) and a lookup by digest,
// whatever the set size: one store operation on a RecoveryAttempter, else a
// reserve on the failure limiter, the consume (per hash key, until one
// matches) and, on success, a refund. Failures are limited like TOTP
// failures (MaxAttempts in any FailureWindow, but no lifetime cap), with a
// separate count that a new set keeps and ResetFailures clears. A malformed
// code is not counted. A user without recovery codes gets
// ErrInvalidRecoveryCode, counted by the store's limiter but not by a
// RecoveryAttempter, which has no code to guard. Errors:
// ErrInvalidRecoveryCode, *ratelimit.LimitedError (ErrRateLimited).
func (s *Service) AuthenticateRecovery(ctx context.Context, userID, code string) (remaining int, err error) {
	if userID == "" {
		return 0, ErrInvalidUser
	}
	var buf [recoveryChars]byte
	if !normalizeRecovery(&buf, code) {
		return 0, ErrInvalidRecoveryCode // cannot be right: not counted
	}
	canonical := string(buf[:])
	if s.attempter != nil {
		return s.attemptRecovery(ctx, userID, canonical)
	}
	key := recoveryKey(userID)
	if err := s.reserve(ctx, s.recoveryFailures, key); err != nil {
		return 0, err
	}
	err = ErrNotFound
	for _, d := range s.hash.SumAll(userID, canonical) {
		if remaining, err = s.store.ConsumeRecoveryCode(ctx, userID, d); !errors.Is(err, ErrNotFound) {
			break
		}
	}
	if err == nil {
		s.release(ctx, s.recoveryFailures, key)
	}
	return s.recoveryOutcome(ctx, userID, remaining, err)
}

// attemptRecovery is AuthenticateRecovery on a RecoveryAttempter: the
// digests are computed first, outside the store's lock, and the failure
// limit, the consume and the count are then the store's one step.
func (s *Service) attemptRecovery(ctx context.Context, userID, canonical string) (int, error) {
	// Leased: a buffer of our own handed to the store would escape, and
	// an allocation per check is measurable garbage-collector work here.
	l := s.hash.Lease(userID, canonical)
	n, d, err := s.attempter.AttemptRecoveryCode(ctx, userID, l.Digests(), s.recoveryRule, s.now)
	l.Release()
	if err == nil && !d.Allowed {
		return 0, s.refused(ctx, d, recoveryKey(userID))
	}
	return s.recoveryOutcome(ctx, userID, n, err)
}

// recoveryOutcome is AuthenticateRecovery's answer once the store has
// consumed (n codes left) or failed with err.
func (s *Service) recoveryOutcome(ctx context.Context, userID string, n int, err error) (int, error) {
	switch {
	case err == nil:
		if s.log.Enabled(ctx, slog.LevelInfo) { // hot path: spare the boxing of the args
			s.log.InfoContext(ctx, "mfa: recovery code used", "user", userID, "remaining", n)
		}
		return n, nil
	case !errors.Is(err, ErrNotFound):
		return 0, err
	}
	if s.log.Enabled(ctx, slog.LevelInfo) { // hot path: spare the boxing of the args
		s.log.InfoContext(ctx, "mfa: recovery code rejected", "user", userID)
	}
	return 0, ErrInvalidRecoveryCode
}

// RecoveryAcknowledgement returns the user's acknowledgement state (the
// mfaBackupCodeAcknowledgement field): "" without a set, authkit.AcknowledgementPending after a
// set was issued, authkit.AcknowledgementComplete once acknowledged.
func (s *Service) RecoveryAcknowledgement(ctx context.Context, userID string) (authkit.BackupCodeAcknowledgement, error) {
	set, err := s.store.GetRecoverySet(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return set.Acknowledgement, nil
}

// AcknowledgeRecoveryCodes records that the user has saved their codes
// (pending → complete). ErrNoRecoveryCodes if the user has no set.
func (s *Service) AcknowledgeRecoveryCodes(ctx context.Context, userID string) error {
	err := s.store.SetAcknowledgement(ctx, userID, authkit.AcknowledgementComplete)
	if errors.Is(err, ErrNotFound) {
		return ErrNoRecoveryCodes
	}
	return err
}
