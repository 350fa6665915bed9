package audit

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
)

// An organisation's trail outgrows one machine's log files: the same
// aggregate can be computed by AWS's own engines, Athena over the
// CloudTrail table AWS documents ("Querying AWS CloudTrail logs": the
// cloudtrail_logs table, requestparameters a JSON string) or CloudTrail
// Lake's event data store, and its result read back (--trail-result).
// One query, one row per (kind, event, error, role, agent):
//   failure: failed calls, with their count, first and last time, a message;
//   bound:   the role of the agent's first successful GetFederationToken;
//   latest:  the role of the agent's last successful AssumeRoleWithSAML.

// TrailSQL returns the query for engine "athena" (table: the CloudTrail
// table's name) or "cloudtrail-lake" (table: the event data store ID),
// over the records since a time.
func TrailSQL(engine, table string, since time.Time) (string, error) {
	s := since.UTC().Format("2006-01-02T15:04:05Z")
	switch engine {
	case "athena":
		if table == "" {
			table = "cloudtrail_logs"
		}
		role := "COALESCE(json_extract_scalar(requestparameters, '$.roleArn'), useridentity.sessioncontext.sessionissuer.arn)"
		agent := "COALESCE(json_extract_scalar(requestparameters, '$.roleSessionName'), element_at(split(useridentity.arn, '/'), -1))"
		return fmt.Sprintf(`-- samldoctor audit: sign-in failures and bindings (Athena, CloudTrail table %[1]s)
WITH signin AS (
  SELECT eventname, errorcode, errormessage, eventtime, %[2]s AS role, %[3]s AS agent
  FROM %[1]s
  WHERE eventtime >= '%[4]s'
    AND ((eventsource = 'sts.amazonaws.com' AND eventname = 'AssumeRoleWithSAML')
      OR (eventsource = 'connect.amazonaws.com' AND eventname = 'GetFederationToken'))
)
SELECT 'failure' AS kind, eventname, errorcode, role, agent, count(*) AS failures, min(eventtime) AS first, max(eventtime) AS last, max(errormessage) AS message
FROM signin WHERE errorcode IS NOT NULL GROUP BY eventname, errorcode, role, agent
UNION ALL
SELECT 'bound', 'GetFederationToken', '', min_by(role, eventtime), agent, 0, min(eventtime), min(eventtime), ''
FROM signin WHERE errorcode IS NULL AND eventname = 'GetFederationToken' GROUP BY agent
UNION ALL
SELECT 'latest', 'AssumeRoleWithSAML', '', max_by(role, eventtime), agent, 0, max(eventtime), max(eventtime), ''
FROM signin WHERE errorcode IS NULL AND eventname = 'AssumeRoleWithSAML' GROUP BY agent`, table, role, agent, s), nil
	case "cloudtrail-lake":
		if table == "" {
			return "", errors.New("--trail-sql cloudtrail-lake needs --trail-table: the event data store's ID")
		}
		role := "COALESCE(element_at(requestParameters, 'roleArn'), userIdentity.sessionContext.sessionIssuer.arn)"
		agent := "COALESCE(element_at(requestParameters, 'roleSessionName'), element_at(split(userIdentity.arn, '/'), -1))"
		return fmt.Sprintf(`-- samldoctor audit: sign-in failures and bindings (CloudTrail Lake, event data store %[1]s)
WITH signin AS (
  SELECT eventName, errorCode, errorMessage, eventTime, %[2]s AS role, %[3]s AS agent
  FROM %[1]s
  WHERE eventTime >= '%[4]s'
    AND ((eventSource = 'sts.amazonaws.com' AND eventName = 'AssumeRoleWithSAML')
      OR (eventSource = 'connect.amazonaws.com' AND eventName = 'GetFederationToken'))
)
SELECT 'failure' AS kind, eventName, errorCode, role, agent, count(*) AS failures, min(eventTime) AS first, max(eventTime) AS last, max(errorMessage) AS message
FROM signin WHERE errorCode IS NOT NULL GROUP BY eventName, errorCode, role, agent
UNION ALL
SELECT 'bound', 'GetFederationToken', '', min_by(role, eventTime), agent, 0, min(eventTime), min(eventTime), ''
FROM signin WHERE errorCode IS NULL AND eventName = 'GetFederationToken' GROUP BY agent
UNION ALL
SELECT 'latest', 'AssumeRoleWithSAML', '', max_by(role, eventTime), agent, 0, max(eventTime), max(eventTime), ''
FROM signin WHERE errorCode IS NULL AND eventName = 'AssumeRoleWithSAML' GROUP BY agent`, table, role, agent, s), nil
	}
	return "", fmt.Errorf("--trail-sql %q: use athena or cloudtrail-lake", engine)
}

// ReadTrailResult reads the CSV result of TrailSQL's query (as Athena or
// CloudTrail Lake writes it, with its header) into an aggregate.
func ReadTrailResult(name string, r io.Reader) (*Trail, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: not a query result (CSV with a header): %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff"))] = i
	}
	for _, need := range []string{"kind", "eventname", "errorcode", "role", "agent", "failures", "first", "last", "message"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: the result has no %q column: run the query samldoctor audit --trail-sql prints", name, need)
		}
	}
	t := NewTrail()
	src := evidence.Source{File: name, Kind: "CloudTrail query result"}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		get := func(k string) string {
			if i := col[k]; i < len(rec) {
				return rec[i]
			}
			return ""
		}
		first, err1 := parseTrailTime(get("first"))
		last, err2 := parseTrailTime(get("last"))
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: line %d: a time that cannot be read: %q, %q", name, line, get("first"), get("last"))
		}
		agent, role := get("agent"), get("role")
		switch get("kind") {
		case "failure":
			n, err := strconv.Atoi(get("failures"))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s: line %d: failures %q", name, line, get("failures"))
			}
			k := failKey{get("eventname"), get("errorcode"), role}
			g := t.groups[k]
			if g == nil {
				g = &failGroup{failKey: k, message: get("message"), agents: map[string]bool{}, first: first, last: last, where: src}
				t.groups[k] = g
			}
			g.count += n
			if first.Before(g.first) {
				g.first = first
			}
			if last.After(g.last) {
				g.last = last
			}
			if agent != "" {
				g.agents[agent] = true
			}
			t.Records += int64(n)
		case "bound":
			if agent != "" && role != "" {
				t.bound[agent] = use{role, first, src}
			}
		case "latest":
			if agent != "" && role != "" {
				t.latest[agent] = use{role, last, src}
			}
		default:
			return nil, fmt.Errorf("%s: line %d: kind %q", name, line, get("kind"))
		}
	}
}

// parseTrailTime reads the times engines write: CloudTrail's own
// (2026-11-28T09:00:01Z), or a timestamp (2026-11-28 09:00:01.000).
func parseTrailTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05.000", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q", s)
}
