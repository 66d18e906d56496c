package verificationtest

import (
	"context"
	"sync"
	"testing"

	"github.com/authkit/authkit/verification"
)

// Recorder is a verification.Sender for tests: it keeps every message it is
// given, in order, so a test can read the code that was "sent". Set a
// failure with Fail to exercise a host's handling of delivery errors. The
// zero value is ready to use and it is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	msgs []verification.Message
	err  error
}

// Send implements verification.Sender. It records m, unless a failure is
// set, in which case it records nothing and returns that error.
func (r *Recorder) Send(_ context.Context, m verification.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.msgs = append(r.msgs, m)
	return nil
}

// Fail makes later sends return err (nil restores success).
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// Messages returns a copy of the recorded messages, oldest first.
func (r *Recorder) Messages() []verification.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]verification.Message(nil), r.msgs...)
}

// Len returns the number of recorded messages.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Last returns the newest message sent to to (E.164 or email address).
func (r *Recorder) Last(to string) (verification.Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].To == to {
			return r.msgs[i], true
		}
	}
	return verification.Message{}, false
}

// Code returns the newest code sent to to, failing the test if there is none.
func (r *Recorder) Code(t testing.TB, to string) string {
	t.Helper()
	m, ok := r.Last(to)
	if !ok {
		t.Fatalf("verificationtest: no message was sent to %q", to)
	}
	return m.Code
}
