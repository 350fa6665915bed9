package diagnose_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// manyUsers is list-users output for n users, one of them Jane.Doe, the
// others agent-N.
func manyUsers(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"UserSummaryList":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("agent-%06d@example.com", i)
		if i == n/2 {
			name = "Jane.Doe@example.com"
		}
		fmt.Fprintf(&b, `{"Id":"%08d-1a3d-4e5f-8a9b-0c1d2e3f4a5b","Arn":"arn:aws:connect:%s:%s:instance/%s/agent/%08d-1a3d-4e5f-8a9b-0c1d2e3f4a5b","Username":%q}`, i, region, acct, instance, i, name)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func signInCapture(tb testing.TB) *capture.Capture {
	xml := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at.Add(-time.Second), SignAssertion: true}.XML()
	r := signin.NewReader(capture.Options{})
	if err := r.Read("c.har", bytes.NewReader(fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)))); err != nil {
		tb.Fatal(err)
	}
	return r.Finish()
}

// A Connect instance of 100,000 users: the user that differs only by case
// is found. Reading the list once cost n² (each user compared with every
// earlier one: 80,000 users took 25 s); the guard below fails if that
// comes back, at a hundred times the linear cost.
func TestHundredThousandUsers(t *testing.T) {
	users := manyUsers(100_000)
	c := signInCapture(t)
	done := make(chan *diagnose.Result)
	go func() {
		set := evidence.NewSet()
		if err := set.Load("users.json", users); err != nil {
			t.Error(err)
		}
		done <- diagnose.Run(diagnose.Input{Capture: c, AWS: set})
	}()
	select {
	case res := <-done:
		if f := find(res, "connect.username_case_mismatch"); f == nil || res.Findings[0].ID != f.ID || f.Fix.Check.Result != fix.Passes {
			t.Fatalf("findings %v", ids(res))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("100,000 users took over 30 s: reading them is no longer linear")
	}
}

// BenchmarkHundredThousandUsers reads list-users output of 100,000 users
// and diagnoses a sign-in against it (the fixes checked included).
func BenchmarkHundredThousandUsers(b *testing.B) {
	users := manyUsers(100_000)
	c := signInCapture(b)
	b.SetBytes(int64(len(users)))
	for b.Loop() {
		set := evidence.NewSet()
		if err := set.Load("users.json", users); err != nil {
			b.Fatal(err)
		}
		diagnose.Run(diagnose.Input{Capture: c, AWS: set})
	}
}

// manySignIns is a capture of n sign-ins, one after another, each with its
// own signed response (so each is its own attempt).
func manySignIns(tb testing.TB, n int) *capture.Capture {
	var steps []fixture.Step
	for i := range n {
		t0 := at.Add(time.Duration(i) * 10 * time.Second)
		xml := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: t0.Add(-time.Second), SignAssertion: true}.XML()
		steps = append(steps, fixture.SignIn(xml, fixture.RelayState(), t0, fixture.NotOnboarded)...)
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read("many.har", bytes.NewReader(fixture.HAR(fixture.Chrome, steps))); err != nil {
		tb.Fatal(err)
	}
	return r.Finish()
}

// BenchmarkManySignIns diagnoses captures of 2,000 and 8,000 sign-ins:
// the cost per sign-in (ns/signin) is the same for both when diagnose is
// linear in them.
func BenchmarkManySignIns(b *testing.B) {
	for _, n := range []int{2000, 8000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c := manySignIns(b, n)
			b.ResetTimer()
			for b.Loop() {
				diagnose.Run(diagnose.Input{Capture: c})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/signin")
		})
	}
}
