package trail_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"testing/iotest"
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/trail"
)

type kept struct{ names *[]string }

func (k kept) Add(e *evidence.Event) {
	*k.names = append(*k.names, e.Name+" "+e.RoleSessionName+" "+e.RoleARN+" "+e.IdentityARN+" "+e.ErrorCode+" "+e.Time.Format(time.RFC3339))
}

// Any log file: no panic, no hang. A valid one: the records kept are the
// ones encoding/json finds of interest, with the same fields, read at once
// or a byte at a time (every token across a refill).
func FuzzReadStream(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventTime":"2026-11-28T09:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","errorCode":"AccessDenied","requestParameters":{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"a\u0040b"}},` +
		`{"eventSource":"connect.amazonaws.com","eventName":"GetFederationToken","userIdentity":{"arn":"arn:aws:sts::1:assumed-role/R/a","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/R"}}}},{"eventName":"GetObject"}]}`))
	f.Add([]byte(`{"Records":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var at, slow []string
		_, _, _, err := trail.ReadStream("f.json", bytes.NewReader(b), time.Time{}, kept{&at})
		_, _, _, err1 := trail.ReadStream("f.json", iotest.OneByteReader(bytes.NewReader(b)), time.Time{}, kept{&slow})
		if (err == nil) != (err1 == nil) || len(at) != len(slow) {
			t.Fatalf("at once %d, %v; a byte at a time %d, %v", len(at), err, len(slow), err1)
		}
		for i := range at {
			if at[i] != slow[i] {
				t.Fatalf("record %d: %q at once, %q a byte at a time", i, at[i], slow[i])
			}
		}
		// The reference: encoding/json, with keys compared exactly (as
		// CloudTrail writes them); a record with a key twice is left out
		// of the comparison (JSON leaves its meaning open).
		var top map[string]json.RawMessage
		if !json.Valid(b) || json.Unmarshal(b, &top) != nil {
			return
		}
		var recs []json.RawMessage
		if json.Unmarshal(top["Records"], &recs) != nil || bytes.Count(b, []byte(`"Records"`)) != 1 {
			return
		}
		want := 0
		for _, raw := range recs {
			fields, ok := members(raw)
			if !ok {
				return
			}
			var src, name string
			json.Unmarshal(fields["eventSource"], &src)
			json.Unmarshal(fields["eventName"], &name)
			if trail.Interesting(src, name) {
				want++
			}
		}
		if err == nil && len(at) != want {
			t.Fatalf("kept %d records, encoding/json finds %d of interest", len(at), want)
		}
	})
}

// members is an object's members by exact key; ok is false for a value
// that is not an object or has a key twice.
func members(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, false
		}
		k := t.(string)
		var v json.RawMessage
		if _, dup := out[k]; dup || d.Decode(&v) != nil {
			return nil, false
		}
		out[k] = v
	}
	return out, true
}
