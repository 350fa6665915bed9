package record

import "testing"

// Response headers the browser reports apart from a redirect's hop, and
// late, belong to that hop: its status tells it from the next one.
func TestHopFor(t *testing.T) {
	hop := func(status int, done bool, prev *request) *request {
		q := &request{entry: &harEntry{}, done: done, prev: prev}
		q.entry.Response.Status = status
		return q
	}
	first := hop(302, true, nil)
	second := hop(307, true, first)
	cur := hop(0, false, second)
	if got := cur.hopFor(302); got != first {
		t.Errorf("the 302's headers went to %+v", got)
	}
	first.extraResp = []harNV{{"location", "/a"}}
	if got := cur.hopFor(307); got != second {
		t.Errorf("the 307's headers went to %+v", got)
	}
	second.extraResp = []harNV{{"location", "/b"}}
	if got := cur.hopFor(200); got != cur {
		t.Errorf("the current hop's headers went to %+v", got)
	}
	// A hop whose own headers came is not given another's.
	cur.extraResp = []harNV{{"x", "y"}}
	if got := cur.hopFor(200); got != nil {
		t.Errorf("headers given twice: %+v", got)
	}
	// Without a redirect, the request's own.
	one := hop(0, false, nil)
	if got := one.hopFor(200); got != one {
		t.Errorf("single request: %+v", got)
	}
}
