package ratelimit

// tatHeap is a min-heap of entries on tat, so the entries that expire
// first are at the top. It is container/heap's algorithm on the concrete
// type: no interface calls and no boxing on the request path.
type tatHeap []*entry

func (h tatHeap) less(i, j int) bool { return h[i].tat < h[j].tat }

func (h tatHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h tatHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2 // parent
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h tatHeap) down(i0, n int) bool {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 { // j1 < 0 after int overflow
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h.less(j2, j1) {
			j = j2 // right child
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// push adds e.
func (h *tatHeap) push(e *entry) {
	e.index = len(*h)
	*h = append(*h, e)
	h.up(e.index)
}

// pop removes and returns the entry with the smallest tat.
func (h *tatHeap) pop() *entry {
	return h.remove(0)
}

// remove removes and returns the entry at index i.
func (h *tatHeap) remove(i int) *entry {
	old := *h
	n := len(old) - 1
	if n != i {
		old.swap(i, n)
		if !old.down(i, n) {
			old.up(i)
		}
	}
	e := old[n]
	old[n] = nil
	*h = old[:n]
	return e
}

// fix restores the order after the tat of the entry at index i changed.
func (h tatHeap) fix(i int) {
	if !h.down(i, len(h)) {
		h.up(i)
	}
}
