package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/verification"
)

// recorder is a go-redis hook that records, per round trip, the keys of
// every command sent.
type recorder struct {
	mu    sync.Mutex
	trips [][][]string // round trip → command → keys
}

func (r *recorder) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (r *recorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		r.add([]goredis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (r *recorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		r.add(cmds)
		return next(ctx, cmds)
	}
}

func (r *recorder) add(cmds []goredis.Cmder) {
	var trip [][]string
	for _, c := range cmds {
		if k, ok := cmdKeys(c.Args()); ok {
			trip = append(trip, k)
		}
	}
	if len(trip) == 0 {
		return // connection set-up (HELLO, CLIENT SETINFO, …)
	}
	r.mu.Lock()
	r.trips = append(r.trips, trip)
	r.mu.Unlock()
}

// take returns and clears the recorded round trips.
func (r *recorder) take() [][][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.trips
	r.trips = nil
	return t
}

// cmdKeys returns the keys a command names (for EVAL/EVALSHA the declared
// KEYS), and false for commands that name none.
func cmdKeys(args []any) ([]string, bool) {
	if len(args) == 0 {
		return nil, false
	}
	name := strings.ToLower(fmt.Sprint(args[0]))
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro":
		var n int
		fmt.Sscan(fmt.Sprint(args[2]), &n)
		keys := make([]string, n)
		for i := range n {
			keys[i] = fmt.Sprint(args[3+i])
		}
		return keys, true
	case "hello", "client", "auth", "select", "ping", "script", "scan", "unlink":
		return nil, false
	}
	return []string{fmt.Sprint(args[1])}, true
}

// hashTag returns the part of key Redis Cluster hashes: the text between
// the first '{' and the next '}', if non-empty, else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// TestKeyLayout runs every operation through a recording client and checks
// that every key is under the prefix and hash-tagged, that each script or
// command touches keys of one slot, and how many round trips each
// operation makes once its scripts are loaded.
func TestKeyLayout(t *testing.T) {
	shared := testClient(t)
	c := goredis.NewClient(testOptions(t))
	t.Cleanup(func() { c.Close() })
	rec := &recorder{}
	c.AddHook(rec)
	s, err := New(c, Options{Prefix: randomPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePrefix(t, shared, s.Prefix()) })

	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	uid, sid := "user-1", "sess-1"
	lim, err := s.Limiter(ratelimit.LimiterConfig{Name: "signin", Rule: ratelimit.Rule{Limit: 5, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	sends, err := s.Limiter(ratelimit.LimiterConfig{Name: "sends", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute, Cooldown: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	lifetime, err := s.Limiter(ratelimit.LimiterConfig{Name: "lifetime", Rule: ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute, Lifetime: 100}})
	if err != nil {
		t.Fatal(err)
	}
	vrec := verification.Record{ID: "v-1", Channel: verification.ChannelSMS, Destination: "+19172113333",
		CodeHash: []byte("h"), Sends: 1, CreatedAt: now, SentAt: now, ExpiresAt: now.Add(time.Minute), PurgeAt: now.Add(time.Hour)}
	dev := mfa.DeviceRecord{ID: "d-1", UserID: uid, Type: mfa.DeviceTypeTOTP, CreatedAt: now}
	tok := mfa.TokenRecord{Digest: []byte("digest-digest-digest-digest-1234"), UserID: uid, SingleUse: true, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	set := mfa.RecoverySet{UserID: uid, CreatedAt: now, Acknowledgement: authkit.AcknowledgementPending,
		Codes: []mfa.RecoveryCodeRecord{{Digest: []byte("c1"), Sealed: []byte("s1")}, {Digest: []byte("c2"), Sealed: []byte("s2")}}}
	pch := passkey.ChallengeRecord{Digest: []byte("challenge-digest-challenge-dige1"), Ceremony: passkey.CeremonySignIn, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	pcred := passkey.CredentialRecord{ID: "pk-1", UserID: uid, CredentialID: []byte("credential-id-16"), CreatedAt: now}
	st := oauth.State{State: "state-1", Provider: "github", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	acct := s.Accounts()
	var seq atomic.Int64
	acred := func(name string) account.Credential {
		return account.Credential{Key: "email:" + name + "@example.com", VerifiedCredential: authkit.VerifiedCredential{
			ID: fmt.Sprint("c-", seq.Add(1)), Format: authkit.FormatEmail, Email: name + "@example.com", SignInEnabled: true}}
	}
	auser := func() authkit.User {
		return authkit.User{ID: fmt.Sprint("u-", seq.Add(1)), FirstVisit: &now, LastVisit: &now}
	}
	known := acred("known")
	owner, _, err := acct.FindOrCreate(ctx, auser(), known, now)
	if err != nil {
		t.Fatal(err)
	}
	attemptRule := ratelimit.Rule{Sliding: true, Limit: 5, Window: time.Minute}
	rec.take()

	ops := []struct {
		name string
		// trips is the round trips the operation makes with its scripts
		// loaded; spans is true for the two operations that touch records
		// of several slots on purpose (session index and records).
		trips int
		spans bool
		fn    func() error
	}{
		{"verification.Create", 1, false, func() error { return ignore(s.Verifications().Create(ctx, vrec), verification.ErrDuplicate) }},
		{"verification.Get", 1, false, func() error { _, err := s.Verifications().Get(ctx, vrec.ID); return err }},
		{"verification.Attempt", 1, false, func() error {
			_, err := s.Verifications().Attempt(ctx, vrec.ID, [][]byte{[]byte("x")}, now, 5)
			return ignore(err, verification.ErrWrongCode)
		}},
		{"verification.ReplaceCode", 1, false, func() error {
			_, err := s.Verifications().ReplaceCode(ctx, vrec.ID, []byte("h2"), now, now.Add(time.Minute), now.Add(time.Hour), 5)
			return err
		}},
		{"ratelimit.Allow (sliding)", 1, false, func() error { _, err := sends.Allow(ctx, "sms:+19172113333"); return err }},
		{"mfa.CreateDevice", 1, false, func() error { return ignore(createDevice(ctx, s.MFA(), dev, 5), mfa.ErrDuplicate) }},
		{"mfa.GetDevice", 1, false, func() error { _, err := s.MFA().GetDevice(ctx, uid, dev.ID); return err }},
		{"mfa.ListDevices", 1, false, func() error { _, err := s.MFA().ListDevices(ctx, uid); return err }},
		{"mfa.ConfirmDevice", 1, false, func() error {
			_, err := confirmDevice(ctx, s.MFA(), uid, dev.ID, 1, now)
			return ignore(err, mfa.ErrAlreadyConfirmed)
		}},
		{"mfa.MarkStepUsed", 1, false, func() error { return ignore(s.MFA().MarkStepUsed(ctx, uid, dev.ID, 2), mfa.ErrStepUsed) }},
		{"ratelimit.Allow (lifetime)", 1, false, func() error { _, err := lifetime.Allow(ctx, "totp:"+uid); return err }},
		{"ratelimit.Refund (sliding)", 1, false, func() error { return sends.Refund(ctx, "sms:+19172113333") }},
		{"ratelimit.Refund (GCRA)", 1, false, func() error { return lim.Refund(ctx, "k") }},
		{"ratelimit.Reset", 1, false, func() error { return lifetime.Reset(ctx, "totp:"+uid) }},
		{"mfa.CreateRecoverySet", 1, false, func() error { _, _, err := s.MFA().CreateRecoverySet(ctx, set); return err }},
		{"mfa.ReplaceRecoverySet", 1, false, func() error { return s.MFA().ReplaceRecoverySet(ctx, set) }},
		{"mfa.GetRecoverySet", 1, false, func() error { _, err := s.MFA().GetRecoverySet(ctx, uid); return err }},
		{"mfa.SetAcknowledgement", 1, false, func() error { return s.MFA().SetAcknowledgement(ctx, uid, authkit.AcknowledgementComplete) }},
		{"mfa.ConsumeRecoveryCode", 1, false, func() error {
			_, err := s.MFA().ConsumeRecoveryCode(ctx, uid, []byte("c1"))
			return ignore(err, mfa.ErrNotFound)
		}},
		{"mfa.AttemptRecoveryCode", 1, false, func() error {
			_, _, err := s.MFA().AttemptRecoveryCode(ctx, uid, [][]byte{[]byte("new"), []byte("c2")}, attemptRule, func() time.Time { return now })
			return ignore(err, mfa.ErrNotFound)
		}},
		{"mfa.ResetRecoveryFailures", 1, false, func() error { return s.MFA().ResetRecoveryFailures(ctx, uid) }},
		{"mfa.CreateToken", 1, false, func() error { return ignore(s.MFA().CreateToken(ctx, tok), mfa.ErrDuplicate) }},
		{"mfa.UseToken", 1, false, func() error {
			_, err := s.MFA().UseToken(ctx, tok.Digest, uid, "", now)
			return ignore(err, mfa.ErrNotFound)
		}},
		{"mfa.DeleteDevice", 1, false, func() error { return ignore(deleteDevice(ctx, s.MFA(), uid, dev.ID), mfa.ErrNotFound) }},
		{"session.Create", 1, true, func() error {
			return ignore(s.Sessions().Create(ctx, session.Record{ID: sid, UserID: uid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}), session.ErrDuplicate)
		}},
		{"session.Get", 1, false, func() error { _, err := s.Sessions().Get(ctx, sid); return err }},
		{"session.Revoke", 1, false, func() error { return s.Sessions().Revoke(ctx, sid, now) }},
		{"session.RevokeAllForUser", 2, true, func() error { _, err := s.Sessions().RevokeAllForUser(ctx, uid, now); return err }},
		{"session.ConsumeJTI", 1, false, func() error {
			return ignore(s.Sessions().ConsumeJTI(ctx, "jti-1", now.Add(time.Minute), now), session.ErrAlreadyUsed)
		}},
		{"oauth.Create", 1, false, func() error { return ignore(s.OAuthStates().Create(ctx, st, now), oauth.ErrDuplicate) }},
		{"oauth.Get", 1, false, func() error { _, err := s.OAuthStates().Get(ctx, st.State, now); return err }},
		{"oauth.RecordCallback", 1, false, func() error {
			_, err := s.OAuthStates().RecordCallback(ctx, st.State, oauth.Callback{Code: "c"}, now)
			return ignore(err, oauth.ErrCallbackRecorded)
		}},
		{"oauth.Consume", 1, false, func() error {
			_, err := s.OAuthStates().Consume(ctx, st.State, now)
			return ignore(err, oauth.ErrStateUsed)
		}},
		{"ratelimit.Allow", 1, false, func() error { _, err := lim.Allow(ctx, "203.0.113.7"); return err }},
		{"mfa.DeleteUser", 1, false, func() error { return s.MFA().DeleteUser(ctx, "gone") }},
		{"account.FindOrCreate(new)", 1, false, func() error {
			_, _, err := acct.FindOrCreate(ctx, auser(), acred(fmt.Sprint("new-", seq.Add(1))), now)
			return err
		}},
		{"account.FindOrCreate(known)", 2, false, func() error { _, _, err := acct.FindOrCreate(ctx, auser(), known, now); return err }},
		{"account.Link", 1, false, func() error { _, err := acct.Link(ctx, owner.ID, acred(fmt.Sprint("l-", seq.Add(1))), now); return err }},
		{"account.Unlink", 1, false, func() error {
			_, err := acct.Unlink(ctx, owner.ID, "c-none")
			return ignore(err, account.ErrCredentialNotFound)
		}},
		{"account.Get", 1, false, func() error { _, err := acct.Get(ctx, owner.ID); return err }},
		{"account.UpdateProfile", 1, false, func() error {
			n := "Ada"
			_, err := acct.UpdateProfile(ctx, owner.ID, account.Profile{FirstName: &n})
			return err
		}},
		{"account.Delete", 1, false, func() error { return ignore(acct.Delete(ctx, "u-none"), account.ErrNotFound) }},
		{"passkey.CreateChallenge", 1, false, func() error { return ignore(s.Passkeys().CreateChallenge(ctx, pch), passkey.ErrDuplicate) }},
		{"passkey.ConsumeChallenge", 1, false, func() error {
			_, err := s.Passkeys().ConsumeChallenge(ctx, pch.Digest, pch.Ceremony, "", "", now)
			return ignore(err, passkey.ErrNotFound)
		}},
		// The credential-id index and the user's passkeys are two slots;
		// each run first undoes the previous one, unrecorded.
		{"passkey.CreateCredential", 2, true, func() error {
			if err := ignore(s.Passkeys().DeleteCredential(ctx, uid, pcred.ID, false), passkey.ErrNotFound); err != nil {
				return err
			}
			rec.take()
			return s.Passkeys().CreateCredential(ctx, pcred, 5)
		}},
		{"passkey.GetCredential", 2, true, func() error { _, err := s.Passkeys().GetCredential(ctx, pcred.CredentialID); return err }},
		{"passkey.ListCredentials", 1, false, func() error { _, err := s.Passkeys().ListCredentials(ctx, uid); return err }},
		{"passkey.UseCredential", 1, false, func() error {
			_, err := s.Passkeys().UseCredential(ctx, uid, pcred.CredentialID, 0, false, now)
			return err
		}},
		{"passkey.RenameCredential", 1, false, func() error { _, err := s.Passkeys().RenameCredential(ctx, uid, pcred.ID, "a", now); return err }},
		{"passkey.DeleteCredential", 2, true, func() error {
			if err := ignore(s.Passkeys().CreateCredential(ctx, pcred, 5), passkey.ErrDuplicate); err != nil {
				return err
			}
			rec.take()
			return s.Passkeys().DeleteCredential(ctx, uid, pcred.ID, false)
		}},
	}
	for _, op := range ops {
		// The first run may load scripts (EVALSHA, then EVAL); the second
		// shows the steady state.
		for run := 0; run < 2; run++ {
			if err := op.fn(); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			trips := rec.take()
			tags := map[string]bool{}
			for _, trip := range trips {
				for _, keys := range trip {
					cmdTags := map[string]bool{}
					for _, k := range keys {
						if !strings.HasPrefix(k, "{"+s.Prefix()+":") {
							t.Errorf("%s: key %q is not under the prefix's hash tag", op.name, k)
						}
						cmdTags[hashTag(k)] = true
						tags[hashTag(k)] = true
					}
					if len(cmdTags) > 1 {
						t.Errorf("%s: one command touches several slots: %v", op.name, keys)
					}
				}
			}
			if !op.spans && len(tags) != 1 {
				t.Errorf("%s: touches %d hash tags, want 1: %v", op.name, len(tags), trips)
			}
			if run == 1 && len(trips) != op.trips {
				t.Errorf("%s: %d round trips, want %d", op.name, len(trips), op.trips)
			}
		}
	}
}

func ignore(err, allowed error) error {
	if err != nil && errors.Is(err, allowed) {
		return nil
	}
	return err
}
