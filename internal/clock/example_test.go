package clock_test

import (
	"fmt"
	"time"

	"github.com/authkit/authkit/internal/clock"
)

func Example() {
	f := clock.NewFake(time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC))
	now := clock.Or(f.Now) // what a Config with Now: f.Now uses
	f.Advance(10 * time.Minute)
	fmt.Println(now().Format(time.Kitchen))
	// Output: 6:10PM
}
