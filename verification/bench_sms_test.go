package verification_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/authkit/authkit/phone"
	"github.com/authkit/authkit/verification"
)

// BenchmarkStartSMS: Start for numbers the caller parsed already, as the
// reference server passes them: the service must not parse them again.
// go test -run '^$' -bench 'StartSMS$' -benchmem -count 3 ./verification/
func BenchmarkStartSMS(b *testing.B) {
	svc := benchService(b, discard)
	nums := make([]phone.Number, b.N)
	for i := range nums {
		n, err := phone.Parse("1", fmt.Sprintf("917%07d", 2000000+i%8000000), "US")
		if err != nil {
			b.Fatal(err)
		}
		nums[i] = n
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Start(ctx, verification.StartRequest{Channel: verification.ChannelSMS, Phone: &nums[i]}); err != nil {
			b.Fatal(err)
		}
	}
}
