package ratelimit

import (
	"slices"
	"testing"
)

func TestLogEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  []int64
		gone int
		now  int64
		want []int64
	}{
		{"empty", nil, 0, 5, []int64{5}},
		{"append", []int64{1, 2}, 0, 3, []int64{1, 2, 3}},
		{"drop left the window", []int64{1, 2, 3}, 2, 4, []int64{3, 4}},
		{"drop all", []int64{1, 2}, 2, 9, []int64{9}},
		{"clock stepped back", []int64{1, 5, 7}, 0, 4, []int64{1, 4, 5, 7}},
		{"equal time after its peers", []int64{1, 4, 4}, 0, 4, []int64{1, 4, 4, 4}},
		{"back and drop", []int64{1, 2, 8}, 1, 3, []int64{2, 3, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := logEvent(slices.Clone(tc.log), tc.gone, tc.now); !slices.Equal(got, tc.want) {
				t.Fatalf("logEvent(%v, %d, %d) = %v, want %v", tc.log, tc.gone, tc.now, got, tc.want)
			}
		})
	}
}
