package expiry

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestQueueOrder(t *testing.T) {
	tests := []struct {
		name string
		at   []int64
		now  int64
		want []int // indexes popped, in order
	}{
		{"empty", nil, 10, nil},
		{"none due", []int64{5, 6}, 4, nil},
		{"all due in order", []int64{3, 1, 2}, 3, []int{1, 2, 0}},
		{"some due", []int64{9, 1, 5, 2}, 5, []int{1, 3, 2}},
		{"equal deadlines", []int64{2, 2, 2}, 2, nil}, // order among equals is unspecified
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q Queue[int]
			for i, at := range tc.at {
				q.Push(i, at)
			}
			var got []int
			for {
				k, ok := q.PopDue(tc.now)
				if !ok {
					break
				}
				got = append(got, k)
			}
			if tc.name == "equal deadlines" {
				if len(got) != 3 {
					t.Fatalf("popped %v", got)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("popped %v, want %v", got, tc.want)
			}
		})
	}
}

// Against a sorted model: random pushes and pops, including a burst that
// shrinks the heap.
func TestQueueModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var q Queue[int64]
	var model []int64
	for round := range 200 {
		for range rng.IntN(50) {
			at := rng.Int64N(1000)
			q.Push(at, at)
			model = append(model, at)
		}
		now := int64(round * 5)
		slices.Sort(model)
		for len(model) > 0 && model[0] <= now {
			k, ok := q.PopDue(now)
			if !ok || k != model[0] {
				t.Fatalf("round %d: popped %d,%v want %d", round, k, ok, model[0])
			}
			model = model[1:]
		}
		if _, ok := q.PopDue(now); ok {
			t.Fatalf("round %d: popped past the due entries", round)
		}
		if q.Len() != len(model) {
			t.Fatalf("Len %d, want %d", q.Len(), len(model))
		}
	}
}
