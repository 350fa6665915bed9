package iampolicy

import "testing"

// Each condition operator family against the results IAM's documentation
// gives ("IAM JSON policy elements: Condition operators", and "Condition
// keys that are not present in the request"): the value in the request
// (have; nil: the key is absent), the policy's values (want), the verdict.
func TestConditionOperators(t *testing.T) {
	const (
		early = "2026-11-20T08:00:00Z"
		mid   = "2026-11-20T09:00:00Z"
		late  = "2026-11-20T10:00:00.250Z"
	)
	tests := []struct {
		op   string
		have []string
		want []string
		ok   bool
	}{
		// String
		{"StringEquals", []string{"a"}, []string{"a"}, true},
		{"StringEquals", []string{"A"}, []string{"a"}, false},
		{"StringEquals", nil, []string{"a"}, false},
		{"StringNotEquals", []string{"a"}, []string{"b"}, true},
		{"StringNotEquals", []string{"a"}, []string{"b", "a"}, false},
		{"StringNotEquals", nil, []string{"a"}, true},
		{"StringEqualsIgnoreCase", []string{"A"}, []string{"a"}, true},
		{"StringNotEqualsIgnoreCase", []string{"A"}, []string{"a"}, false},
		{"StringNotEqualsIgnoreCase", []string{"A"}, []string{"b"}, true},
		{"StringLike", []string{"abc"}, []string{"a*"}, true},
		{"StringLike", []string{"ab"}, []string{"a?"}, true},
		{"StringLike", []string{"abc"}, []string{"b*"}, false},
		{"StringLike", []string{"ABC"}, []string{"a*"}, false},
		{"StringNotLike", []string{"abc"}, []string{"a*"}, false},
		{"StringNotLike", []string{"abc"}, []string{"b*"}, true},
		// Numeric
		{"NumericEquals", []string{"10"}, []string{"10.0"}, true},
		{"NumericNotEquals", []string{"10"}, []string{"11"}, true},
		{"NumericNotEquals", []string{"10"}, []string{"10"}, false},
		{"NumericLessThan", []string{"9"}, []string{"10"}, true},
		{"NumericLessThan", []string{"10"}, []string{"10"}, false},
		{"NumericLessThan", []string{"11"}, []string{"10"}, false},
		{"NumericLessThanEquals", []string{"10"}, []string{"10"}, true},
		{"NumericLessThanEquals", []string{"11"}, []string{"10"}, false},
		{"NumericGreaterThan", []string{"11"}, []string{"10"}, true},
		{"NumericGreaterThan", []string{"10"}, []string{"10"}, false},
		{"NumericGreaterThanEquals", []string{"10"}, []string{"10"}, true},
		{"NumericGreaterThanEquals", []string{"9"}, []string{"10"}, false},
		{"NumericLessThan", []string{"ten"}, []string{"10"}, false},
		// Date: ISO 8601, with fractions, a bare date, epoch seconds
		{"DateEquals", []string{mid}, []string{"2026-11-20T09:00:00+00:00"}, true},
		{"DateNotEquals", []string{mid}, []string{early}, true},
		{"DateNotEquals", []string{mid}, []string{mid}, false},
		{"DateLessThan", []string{early}, []string{mid}, true},
		{"DateLessThan", []string{mid}, []string{mid}, false},
		{"DateLessThan", []string{late}, []string{mid}, false},
		{"DateLessThanEquals", []string{mid}, []string{mid}, true},
		{"DateLessThanEquals", []string{late}, []string{mid}, false},
		{"DateGreaterThan", []string{late}, []string{mid}, true},
		{"DateGreaterThan", []string{mid}, []string{mid}, false},
		{"DateGreaterThanEquals", []string{mid}, []string{mid}, true},
		{"DateGreaterThanEquals", []string{early}, []string{mid}, false},
		{"DateLessThan", []string{"1763629200"}, []string{"2026-01-01"}, true}, // 2025-11-20 in epoch seconds
		{"DateGreaterThan", []string{mid}, []string{"2026-11-20"}, true},
		{"DateLessThan", []string{"not a date"}, []string{mid}, false},
		// Bool
		{"Bool", []string{"true"}, []string{"true"}, true},
		{"Bool", []string{"True"}, []string{"true"}, true},
		{"Bool", []string{"false"}, []string{"true"}, false},
		{"Bool", nil, []string{"false"}, false},
		// IP addresses
		{"IpAddress", []string{"203.0.113.5"}, []string{"203.0.113.0/24"}, true},
		{"IpAddress", []string{"203.0.113.5"}, []string{"198.51.100.0/24"}, false},
		{"IpAddress", []string{"2001:db8::1"}, []string{"2001:db8::/32"}, true},
		{"IpAddress", []string{"203.0.113.5"}, []string{"203.0.113.5"}, true},
		{"NotIpAddress", []string{"203.0.113.5"}, []string{"198.51.100.0/24"}, true},
		{"NotIpAddress", []string{"203.0.113.5"}, []string{"203.0.113.0/24"}, false},
		{"NotIpAddress", nil, []string{"203.0.113.0/24"}, true},
		// ARNs
		{"ArnEquals", []string{"arn:aws:iam::111122223333:role/Connect"}, []string{"arn:aws:iam::111122223333:role/Connect"}, true},
		{"ArnLike", []string{"arn:aws:iam::111122223333:role/ConnectAgents"}, []string{"arn:aws:iam::*:role/Connect*"}, true},
		{"ArnLike", []string{"arn:aws:iam::111122223333:role/Other"}, []string{"arn:aws:iam::*:role/Connect*"}, false},
		{"ArnNotLike", []string{"arn:aws:iam::111122223333:role/ConnectAgents"}, []string{"arn:aws:iam::*:role/Connect*"}, false},
		{"ArnNotEquals", []string{"arn:aws:iam::111122223333:role/Other"}, []string{"arn:aws:iam::111122223333:role/Connect"}, true},
		// Binary: byte for byte against the policy's base64 (the request
		// context gives binary values in base64 too), so case matters
		{"BinaryEquals", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, true},
		{"BinaryEquals", []string{"qmluyxj5vmfsdwvjbkjhc2u2na=="}, []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, false},
		{"BinaryEquals", []string{"AAEC"}, []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA==", "AAEC"}, true},
		{"BinaryEquals", []string{"AAED"}, []string{"AAEC"}, false},
		{"BinaryEquals", []string{"not base64!"}, []string{"not base64!"}, false},
		{"BinaryEquals", nil, []string{"AAEC"}, false},
		{"BinaryEqualsIfExists", nil, []string{"AAEC"}, true},
		// Null: true asks that the key be absent, false that it be
		// present; the value's case does not matter, and several values
		// are ORed
		{"Null", nil, []string{"true"}, true},
		{"Null", []string{"x"}, []string{"true"}, false},
		{"Null", []string{"x"}, []string{"false"}, true},
		{"Null", nil, []string{"false"}, false},
		{"Null", nil, []string{"True"}, true},
		{"Null", nil, []string{"TRUE"}, true},
		{"Null", []string{"x"}, []string{"True"}, false},
		{"Null", []string{"x"}, []string{"False"}, true},
		{"Null", nil, []string{"False"}, false},
		{"Null", []string{"x"}, []string{"true", "false"}, true},
		{"Null", nil, []string{"false", "true"}, true},
		{"Null", nil, []string{"yes"}, false},
		{"Null", []string{"x"}, []string{"yes"}, false},
		// Policy variables: substituted in String, ARN and Bool values,
		// literal text in Numeric, Date, Binary and IP address values
		{"StringEquals", []string{"a"}, []string{"${k}"}, true},
		{"ArnLike", []string{"arn:aws:iam::1:role/x"}, []string{"${k}"}, true},
		{"Bool", []string{"true"}, []string{"${k}"}, true},
		{"NumericEquals", []string{"10"}, []string{"${k}"}, false},
		{"DateEquals", []string{mid}, []string{"${k}"}, false},
		{"IpAddress", []string{"203.0.113.5"}, []string{"${k}"}, false},
		{"BinaryEquals", []string{"AAEC"}, []string{"${k}"}, false},
		// ...IfExists: true when the key is absent, else as the operator
		{"StringEqualsIfExists", nil, []string{"a"}, true},
		{"StringEqualsIfExists", []string{"b"}, []string{"a"}, false},
		{"NumericLessThanIfExists", nil, []string{"10"}, true},
		{"NumericLessThanIfExists", []string{"11"}, []string{"10"}, false},
		{"DateLessThanIfExists", []string{late}, []string{mid}, false},
		// Sets
		{"ForAnyValue:StringEquals", []string{"a", "b"}, []string{"b"}, true},
		{"ForAnyValue:StringEquals", []string{"a", "b"}, []string{"c"}, false},
		{"ForAnyValue:StringEquals", nil, []string{"a"}, false},
		{"ForAllValues:StringEquals", []string{"a", "b"}, []string{"a", "b", "c"}, true},
		{"ForAllValues:StringEquals", []string{"a", "x"}, []string{"a", "b"}, false},
		{"ForAllValues:StringEquals", nil, []string{"a"}, true},
		{"ForAnyValue:StringNotEquals", []string{"a", "b"}, []string{"a"}, true},
		{"ForAnyValue:StringNotEquals", []string{"a"}, []string{"a"}, false},
		// A set operator on a key that is not in the request: ForAnyValue
		// is false and ForAllValues true, negated operators included
		// ("Conditions with multiple context keys or values")
		{"ForAnyValue:StringNotEquals", nil, []string{"a"}, false},
		{"ForAnyValue:StringNotLike", nil, []string{"a*"}, false},
		{"ForAnyValue:NumericNotEquals", nil, []string{"1"}, false},
		{"ForAllValues:StringNotEquals", nil, []string{"a"}, true},
		{"ForAllValues:StringNotLike", nil, []string{"a*"}, true},
		{"ForAllValues:StringNotEquals", []string{"a", "b"}, []string{"c"}, true},
		{"ForAllValues:StringNotEquals", []string{"a", "c"}, []string{"c"}, false},
		{"ForAllValues:StringLike", []string{"ab", "ac"}, []string{"a*"}, true},
		{"ForAnyValue:NumericLessThan", []string{"20", "5"}, []string{"10"}, true},
	}
	for _, tt := range tests {
		ctx := NewContext()
		if tt.have == nil {
			ctx.SetAbsent("k")
		} else {
			ctx.Set("k", tt.have...)
		}
		ok, why := conditionHolds(tt.op, "k", tt.want, ctx)
		if why != "" || ok != tt.ok {
			t.Errorf("%s: %v against %v = %v (%s), want %v", tt.op, tt.have, tt.want, ok, why, tt.ok)
		}
	}
	// A key whose value is not known offline makes any operator
	// undetermined, with the reason.
	if _, why := conditionHolds("NumericLessThan", "k", []string{"1"}, NewContext()); why == "" {
		t.Error("an unknown key is not undetermined")
	}
	if _, why := conditionHolds("StringEqualsLoosely", "k", []string{"1"}, NewContext()); why == "" {
		t.Error("an unknown operator is not undetermined")
	}
}
