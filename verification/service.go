package verification

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/captcha"
	"github.com/authkit/authkit/internal/keyedhash"
	"github.com/authkit/authkit/internal/otpcode"
	"github.com/authkit/authkit/internal/random"
	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/ratelimit"
)

// Defaults of Config: what a zero field means.
const (
	DefaultCodeLength  = 6                // NIST SP 800-63B §3.1.3.2
	DefaultTTL         = 10 * time.Minute // NIST SP 800-63B §3.1.3.2
	DefaultMaxAttempts = 5                // Twilio Verify; NIST: resends do not reset
	DefaultSendLimit   = 5                // Twilio 60203
	DefaultSendWindow  = 10 * time.Minute
	DefaultCooldown    = 30 * time.Second // doubling with each send in the window
	DefaultRetention   = time.Hour
	// DefaultDailySendLimit sends per DefaultDailySendWindow per destination
	// (see Config.DailySendLimiter): 20 × DefaultMaxAttempts = 100 wrong
	// codes a day, NIST SP 800-63B-4 §3.2.2's 100.
	DefaultDailySendLimit = 20
	// DefaultDailySendWindow is the window of DefaultDailySendLimit.
	DefaultDailySendWindow = 24 * time.Hour
)

// Config configures a Service. Store, HashKeys and a Sender are required;
// every other zero value means the documented default.
type Config struct {
	// Store holds verifications. Required: NewMemoryStore for one process,
	// store/postgres or store/redis for several, or the host's own.
	Store Store
	// SMS delivers codes for ChannelSMS; nil disables the channel.
	SMS Sender
	// Email delivers codes for ChannelEmail; nil disables the channel.
	// At least one of SMS and Email is required.
	Email Sender
	// HashKeys are the HMAC-SHA256 keys of the code hashes: at least one,
	// each at least 32 random bytes, newest first. New codes are hashed
	// under HashKeys[0]; a code hashed under any listed key verifies, so a
	// rotation prepends the new key and drops the oldest once its codes
	// have expired (after TTL). Required.
	HashKeys [][]byte
	// CodeLength is the number of digits in a code, 6 to 10. 0 = 6.
	CodeLength int
	// TTL is how long a code works after it is sent. 0 = 10 minutes.
	TTL time.Duration
	// MaxAttempts is the number of wrong submissions a verification allows,
	// across resends; every later submission is ErrTooManyAttempts. 0 = 5.
	MaxAttempts int
	// SendLimit is the number of codes sent to one destination (starts and
	// resends together) within SendWindow. 0 = 5; negative = no count limit.
	SendLimit int
	// SendWindow is the sliding window of SendLimit and of the cooldown's
	// doubling. 0 = 10 minutes.
	SendWindow time.Duration
	// Cooldown is the wait after a send before the next one to the same
	// destination, doubled for each further send in the window (30 s, 60 s,
	// 120 s, …). 0 = 30 s; negative = no cooldown.
	Cooldown time.Duration
	// DailySendLimiter caps sends to one destination over the long term,
	// on top of SendLimit. It is asked once per send that SendLimit and
	// Cooldown allow, with the same key (channel and folded mailbox or
	// E.164 number). A denial is a *ratelimit.LimitedError with the limiter's
	// RetryAfter, and nothing is sent. An error from it fails closed
	// (ErrSendLimitUnavailable, nothing sent).
	//
	// Why: every verification gets MaxAttempts checks, so SendLimit alone
	// lets one destination be guessed at 5 sends × 5 checks every 10
	// minutes, about 3,600 times a day, with no end. NIST SP 800-63B-4
	// §3.1.3.2 and §3.2.2 limit consecutive failed attempts on one account
	// to 100. This package knows no accounts, so it caps the destination:
	// 20 sends × MaxAttempts 5 = at most 100 wrong codes a day at the
	// sustained rate (a per-account lockout stays the host's business). (The rule is GCRA, see package ratelimit: a fresh
	// destination may take its 20 sends at once, then gets one back every
	// 72 minutes, so a burst after a quiet day can put up to 40 sends in
	// one 24-hour span; Rule{Limit: 10, Window: 24h} never allows more
	// than 20 in any 24 hours.) With a larger MaxAttempts, lower the rule
	// so that Limit × MaxAttempts stays at or below 100.
	//
	// nil = ratelimit.NewMemory with DefaultDailySendRule and Now: a limiter
	// private to this Service and process. Several instances (or Services)
	// must share one, with a name of its own: the Limiter of store/postgres
	// or store/redis, with ratelimit.LimiterConfig{Name:
	// "verification-daily-sends", Rule: DefaultDailySendRule()}.
	// NoDailySendLimit{} turns the cap off.
	DailySendLimiter ratelimit.Limiter
	// Retention is how long a record is kept after its code expires, so
	// that a late submission gets ErrExpired and a replay ErrAlreadyUsed
	// rather than ErrNotFound. 0 = 1 hour.
	Retention time.Duration
	// Captcha, if set, must accept the request's CaptchaToken before Start
	// or Resend does anything else. nil = no captcha.
	Captcha captcha.Verifier
	// PhonePolicy decides which numbers may receive SMS. The zero Policy
	// allows mobile and fixed-line-or-mobile numbers in every region.
	PhonePolicy phone.Policy
	// Now is the clock. nil = time.Now.
	Now func() time.Time
	// Rand is the source of codes and ids. nil = crypto/rand. Tests only.
	Rand io.Reader
	// Logger receives one line per refused or failed send, with the
	// destination masked and never the code (a successful send is the
	// Sender's to log). nil = no logging.
	Logger *slog.Logger
}

// Service starts, resends and checks verifications. It is safe for
// concurrent use; all state lives in the Store.
type Service struct {
	cfg    Config
	hash   *keyedhash.Hasher   // every hash key, newest first
	sends  ratelimit.Limiter   // SendLimit, SendWindow and Cooldown; nil = none
	daily  ratelimit.Limiter   // nil = no daily cap
	limits []ratelimit.Limiter // sends and daily, those not nil, in that order
	now    func() time.Time
	// attempter is Store's optional one-step channel check, nil if none.
	attempter ChannelAttempter
	// creator is Store's optional one-step limited create, nil if none
	// or if there are no limits to ask.
	creator LimitedCreator
}

// New validates cfg, fills in defaults and returns a Service.
// A nil Config.Store is an error wrapping ErrConfig: pass NewMemoryStore
// for one process.
func New(cfg Config) (*Service, error) {
	if len(cfg.HashKeys) == 0 {
		return nil, fmt.Errorf("%w: HashKeys is required (at least one key of 32 bytes or more)", ErrConfig)
	}
	s := &Service{}
	for i, k := range cfg.HashKeys {
		if len(k) < keyedhash.MinKeyLen {
			return nil, fmt.Errorf("%w: HashKeys[%d]: %w", ErrConfig, i, keyedhash.ErrShortKey)
		}
	}
	var err error
	if s.hash, err = keyedhash.New(cfg.HashKeys); err != nil {
		return nil, fmt.Errorf("%w: HashKeys: %w", ErrConfig, err)
	}
	if cfg.SMS == nil && cfg.Email == nil {
		return nil, fmt.Errorf("%w: an SMS or an Email sender is required", ErrConfig)
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	}
	switch {
	case cfg.CodeLength == 0:
		cfg.CodeLength = DefaultCodeLength
	case cfg.CodeLength < 6 || cfg.CodeLength > 10:
		return nil, fmt.Errorf("%w: CodeLength %d is outside 6-10", ErrConfig, cfg.CodeLength)
	}
	if cfg.TTL < 0 || cfg.MaxAttempts < 0 || cfg.SendWindow < 0 || cfg.Retention < 0 {
		return nil, fmt.Errorf("%w: TTL, MaxAttempts, SendWindow and Retention must not be negative", ErrConfig)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.SendLimit == 0 {
		cfg.SendLimit = DefaultSendLimit
	}
	if cfg.SendWindow == 0 {
		cfg.SendWindow = DefaultSendWindow
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if err := cfg.PhonePolicy.Validate(); err != nil {
		return nil, fmt.Errorf("%w: PhonePolicy: %w", ErrConfig, err)
	}
	if rule, ok := sendRule(cfg); ok {
		l, err := cfg.Store.Limiter(ratelimit.LimiterConfig{Name: SendLimiterName, Rule: rule, Now: cfg.Now})
		if err != nil {
			return nil, fmt.Errorf("%w: send limiter: %w", ErrConfig, err)
		}
		s.sends = l
	}
	daily, err := dailySendLimiter(cfg)
	if err != nil {
		return nil, err
	}
	s.daily = daily
	for _, l := range []ratelimit.Limiter{s.sends, s.daily} {
		if l != nil {
			s.limits = append(s.limits, l)
		}
	}
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.cfg = cfg
	s.attempter, _ = cfg.Store.(ChannelAttempter)
	if lc, ok := cfg.Store.(LimitedCreator); ok && len(s.limits) > 0 {
		s.creator = lc
	}
	return s, nil
}

// StartRequest asks for a code to be sent.
type StartRequest struct {
	// Channel is ChannelSMS or ChannelEmail.
	Channel Channel
	// Phone is the destination for ChannelSMS, from phone.Parse or
	// phone.ParseE164 (then it is not parsed again); any other Number is
	// re-parsed from its E164 (phone.Revalidate).
	Phone *phone.Number
	// Email is the destination for ChannelEmail.
	Email string
	// CaptchaToken is checked when Config.Captcha is set.
	CaptchaToken string
	// RemoteIP is passed to the captcha verifier. Optional.
	RemoteIP string
}

// Started describes a verification whose code was sent.
type Started struct {
	// ID is the verification's UUID (verificationUUID on the wire).
	ID string
	// Channel is the channel used.
	Channel Channel
	// Phone is the validated number for ChannelSMS, nil otherwise.
	Phone *phone.Number
	// Email is the canonical address for ChannelEmail, "" otherwise.
	Email string
	// ExpiresAt is when the code sent stops working.
	ExpiresAt time.Time
}

// Start validates the destination, checks the captcha and the send limits,
// and sends a new code for a new verification. Each Start is independent:
// earlier verifications for the same destination stay usable.
//
// Errors: ErrInvalidDestination, ErrDestinationRejected, ErrChannelUnavailable,
// ErrCaptchaFailed, *ratelimit.LimitedError (ErrRateLimited: SendLimit, Cooldown or
// the daily cap), ErrSendLimitUnavailable, ErrSendFailed. A refused send
// (rate limit, captcha, policy) stores and sends nothing; one refused by the
// daily cap has still been counted by SendLimit and Cooldown (see
// Config.DailySendLimiter). A failed delivery (ErrSendFailed) still counts
// toward the send limits, since the provider may have delivered it, and
// leaves the verification in place for a Resend.
func (s *Service) Start(ctx context.Context, req StartRequest) (Started, error) {
	d, sender, err := s.prepare(ctx, req)
	if err != nil {
		return Started{}, err
	}
	id, err := random.UUID(s.cfg.Rand)
	if err != nil {
		return Started{}, err
	}
	code, err := random.Digits(s.cfg.Rand, s.cfg.CodeLength)
	if err != nil {
		return Started{}, err
	}
	now := s.now()
	exp := now.Add(s.cfg.TTL)
	rec := Record{
		ID: id, Channel: d.channel, Destination: d.to,
		CodeHash: s.hash.Sum(id, code), Sends: 1,
		CreatedAt: now, SentAt: now, ExpiresAt: exp, PurgeAt: exp.Add(s.cfg.Retention),
	}
	if d.channel == ChannelSMS {
		rec.PhoneCountryCode, rec.PhoneNational, rec.PhoneRegion = d.phone.CallingCode, d.phone.NationalNumber, d.phone.Region
	}
	if err := s.createLimited(ctx, d, rec); err != nil {
		return Started{}, err
	}
	if err := s.deliver(ctx, sender, d, id, code, exp); err != nil {
		return Started{}, err
	}
	return started(id, d, exp), nil
}

// ResendRequest asks for a new code for an existing verification. The
// destination is the verification's own: a zero ResendRequest is enough.
type ResendRequest struct {
	// CaptchaToken is checked when Config.Captcha is set.
	CaptchaToken string
	// RemoteIP is passed to the captcha verifier. Optional.
	RemoteIP string
	// Phone or Email, when one is set, must name the verification's
	// destination (for an API whose client repeats it); another
	// destination is ErrNotFound, as if the id were unknown. Leave both
	// empty to resend to whatever the verification was started for.
	Phone *phone.Number
	Email string
}

// Resend sends a new code for verification id to the destination it was
// started for, read from the Store. The previous code stops working; the
// failed-attempt count is kept; the id stays the same. An expired
// verification may be resent; a used, exhausted or unknown one may not.
// The destination is validated again (the phone policy may have changed)
// and the send limits of Start apply to it.
//
// Errors: those of Start, and ErrNotFound (unknown id, or another
// destination than req names), ErrAlreadyUsed, ErrTooManyAttempts.
func (s *Service) Resend(ctx context.Context, id string, req ResendRequest) (Started, error) {
	id, ok := canonicalID(id)
	if !ok {
		return Started{}, ErrNotFound
	}
	var want *destination
	if req.Phone != nil || req.Email != "" {
		sr := StartRequest{Channel: ChannelSMS, Phone: req.Phone}
		if req.Phone == nil {
			sr = StartRequest{Channel: ChannelEmail, Email: req.Email}
		} else if req.Email != "" {
			return Started{}, fmt.Errorf("%w: both a phone number and an email", ErrInvalidDestination)
		}
		d, err := s.resolveDestination(sr)
		if err != nil {
			return Started{}, err
		}
		want = &d
	}
	if err := s.checkCaptcha(ctx, req.CaptchaToken, req.RemoteIP); err != nil {
		return Started{}, err
	}
	rec, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Started{}, err
	}
	switch {
	case want != nil && (rec.Channel != want.channel || rec.Destination != want.to):
		return Started{}, ErrNotFound
	case !rec.UsedAt.IsZero():
		return Started{}, ErrAlreadyUsed
	case rec.Attempts >= s.cfg.MaxAttempts:
		return Started{}, ErrTooManyAttempts
	}
	d, sender, err := s.recordDestination(rec)
	if err != nil {
		return Started{}, err
	}
	code, err := random.Digits(s.cfg.Rand, s.cfg.CodeLength)
	if err != nil {
		return Started{}, err
	}
	now := s.now()
	if err := s.reserveSend(ctx, d); err != nil {
		return Started{}, err
	}
	exp := now.Add(s.cfg.TTL)
	// The store re-checks used and exhausted atomically: a check that
	// raced with this resend wins or loses cleanly.
	if _, err := s.cfg.Store.ReplaceCode(ctx, id, s.hash.Sum(id, code), now, exp, exp.Add(s.cfg.Retention), s.cfg.MaxAttempts); err != nil {
		return Started{}, err
	}
	if err := s.deliver(ctx, sender, d, id, code, exp); err != nil {
		return Started{}, err
	}
	return started(id, d, exp), nil
}

// recordDestination validates a stored destination again, as Start would:
// the phone policy or the configured channels may have changed since.
func (s *Service) recordDestination(rec Record) (destination, Sender, error) {
	req := StartRequest{Channel: rec.Channel, Email: rec.Destination}
	if rec.Channel == ChannelSMS {
		n, err := phone.ParseE164(rec.Destination)
		if err != nil {
			return destination{}, nil, fmt.Errorf("%w: %w", ErrInvalidDestination, err)
		}
		req = StartRequest{Channel: ChannelSMS, Phone: &n}
	}
	d, err := s.resolveDestination(req)
	if err != nil {
		return destination{}, nil, err
	}
	sender, err := s.senderFor(d.channel)
	return d, sender, err
}

func started(id string, d destination, exp time.Time) Started {
	st := Started{ID: id, Channel: d.channel, ExpiresAt: exp}
	if d.channel == ChannelSMS {
		n := d.phone
		st.Phone = &n
	} else {
		st.Email = d.to
	}
	return st
}

// prepare runs the checks of Start, cheapest first and none touching the
// store: destination, channel, captcha.
func (s *Service) prepare(ctx context.Context, req StartRequest) (destination, Sender, error) {
	d, err := s.resolveDestination(req)
	if err != nil {
		return destination{}, nil, err
	}
	sender, err := s.senderFor(d.channel)
	if err != nil {
		return destination{}, nil, err
	}
	if err := s.checkCaptcha(ctx, req.CaptchaToken, req.RemoteIP); err != nil {
		return destination{}, nil, err
	}
	return d, sender, nil
}

// senderFor returns the channel's Sender, or ErrChannelUnavailable.
func (s *Service) senderFor(ch Channel) (Sender, error) {
	sender := s.cfg.SMS
	if ch == ChannelEmail {
		sender = s.cfg.Email
	}
	if sender == nil {
		return nil, fmt.Errorf("%w: %s", ErrChannelUnavailable, ch)
	}
	return sender, nil
}

// checkCaptcha asks Config.Captcha, when set, to accept token.
func (s *Service) checkCaptcha(ctx context.Context, token, remoteIP string) error {
	if s.cfg.Captcha == nil {
		return nil
	}
	if token == "" {
		return fmt.Errorf("%w: %w", ErrCaptchaFailed, captcha.ErrMissingToken)
	}
	if err := s.cfg.Captcha.Verify(ctx, token, remoteIP); err != nil {
		return fmt.Errorf("%w: %w", ErrCaptchaFailed, err)
	}
	return nil
}

func (s *Service) deliver(ctx context.Context, sender Sender, d destination, id, code string, exp time.Time) error {
	err := sender.Send(ctx, Message{
		Channel: d.channel, To: d.to, MaskedTo: d.masked, Code: code,
		VerificationID: id, ExpiresAt: exp, TTL: s.cfg.TTL,
	})
	if err == nil {
		return nil
	}
	if s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "verification send failed",
			slog.String("channel", string(d.channel)), slog.String("to", d.masked),
			slog.String("verification_id", id), slog.String("error", err.Error()))
	}
	if errors.Is(err, ErrSendFailed) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrSendFailed, err)
}

// Check submits a code for verification id. On success the verification is
// used up and the destination is returned as a credential of format
// phoneNumber (phoneNumber = national number, phoneCountryCode,
// isoCountryCode, public_identifier = E.164) or email (email and
// public_identifier). Its ID is left empty: the host assigns one when it
// links the credential to a user.
//
// The code is read as people type it: surrounding white space and one
// space or dash in the middle ("123 456", "123-456") are ignored, the rule
// package mfa applies to TOTP codes.
//
// Errors: ErrInvalidCode (not CodeLength digits; no attempt counted),
// ErrNotFound, ErrAlreadyUsed, ErrExpired, ErrTooManyAttempts, ErrWrongCode.
func (s *Service) Check(ctx context.Context, id, code string) (authkit.VerifiedCredential, error) {
	rec, err := s.attempt(ctx, "", id, code)
	if err != nil {
		return authkit.VerifiedCredential{}, err
	}
	return Credential(rec), nil
}

// Prove is [Service.Check] returning a [Proof]: the same credential, and
// whether it is known to be in canonical form, so that a consumer such as
// account.Service.FindOrCreateProven need not validate it again.
func (s *Service) Prove(ctx context.Context, id, code string) (Proof, error) {
	return s.prove(ctx, "", id, code)
}

// ProveOn is [Service.Prove] for a verification started on channel ch
// only, for an API whose routes are per channel: one started on the other
// channel (or on none, for an unknown ch) is ErrNotFound, and the
// submission neither counts as one of its attempts nor uses it up. On a
// Store that is a [ChannelAttempter] the channel is checked in the
// attempt's atomic step; on another the record is read first (its channel
// never changes, so that is not a race).
func (s *Service) ProveOn(ctx context.Context, ch Channel, id, code string) (Proof, error) {
	if ch != ChannelSMS && ch != ChannelEmail {
		return Proof{}, ErrNotFound
	}
	return s.prove(ctx, ch, id, code)
}

// prove is Prove ("" for ch) and ProveOn.
func (s *Service) prove(ctx context.Context, ch Channel, id, code string) (Proof, error) {
	rec, err := s.attempt(ctx, ch, id, code)
	if err != nil {
		return Proof{}, err
	}
	return Proof{cred: Credential(rec), canonical: canonicalRecord(rec)}, nil
}

// attempt checks code against verification id ("" for ch: either
// channel) and returns the record it used up.
func (s *Service) attempt(ctx context.Context, ch Channel, id, code string) (Record, error) {
	code, ok := otpcode.Normalize(code, s.cfg.CodeLength)
	if !ok {
		return Record{}, ErrInvalidCode
	}
	id, ok = canonicalID(id)
	if !ok {
		return Record{}, ErrNotFound
	}
	// Leased: candidates handed to the Store interface would escape, an
	// allocation per check.
	l := s.hash.Lease(id, code)
	defer l.Release()
	cands := l.Digests()
	var (
		rec Record
		err error
	)
	switch {
	case ch == "":
		rec, err = s.cfg.Store.Attempt(ctx, id, cands, s.now(), s.cfg.MaxAttempts)
	case s.attempter != nil:
		rec, err = s.attempter.AttemptOn(ctx, ch, id, cands, s.now(), s.cfg.MaxAttempts)
	default:
		// A failed read (unknown id, a store error) is left to Attempt to
		// report.
		if r, gerr := s.cfg.Store.Get(ctx, id); gerr == nil && r.Channel != ch {
			return Record{}, ErrNotFound
		}
		rec, err = s.cfg.Store.Attempt(ctx, id, cands, s.now(), s.cfg.MaxAttempts)
	}
	if err != nil {
		return Record{}, err
	}
	if ch != "" && rec.Channel != ch {
		// Only after a failed read: the other channel's proof is refused
		// all the same.
		return Record{}, ErrNotFound
	}
	return rec, nil
}

// Credential returns the credential a used verification proves.
func Credential(rec Record) authkit.VerifiedCredential {
	if rec.Channel == ChannelSMS {
		return authkit.VerifiedCredential{
			Format:           authkit.FormatPhoneNumber,
			SignInEnabled:    true,
			PublicIdentifier: rec.Destination,
			PhoneNumber:      rec.PhoneNational,
			PhoneCountryCode: rec.PhoneCountryCode,
			IsoCountryCode:   rec.PhoneRegion,
		}
	}
	return authkit.VerifiedCredential{
		Format:           authkit.FormatEmail,
		SignInEnabled:    true,
		Email:            rec.Destination,
		PublicIdentifier: rec.Destination,
	}
}

// canonicalID accepts a UUID in canonical form (8-4-4-4-12 hex digits,
// either case) and returns it lower-cased, since the hash binds the exact
// string. Anything else is refused without a store lookup, so no backend
// sees a malformed id and no one hashes a megabyte. (One pass, cheaper than
// random.IsUUID plus strings.ToLower on this hot path.)
func canonicalID(id string) (string, bool) {
	if len(id) != 36 {
		return "", false
	}
	upper := false
	for i := 0; i < 36; i++ {
		c := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "", false
			}
			continue
		}
		switch {
		case c-'0' < 10, c-'a' < 6:
		case c-'A' < 6:
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(id), true
	}
	return id, true
}
