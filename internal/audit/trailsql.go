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
//   failure:   failed calls, with their count, first and last time, a message;
//   bound:     the role of the agent's first successful GetFederationToken;
//   latest:    the role of the agent's last successful sign-in
//              (AssumeRoleWithSAML or GetFederationToken);
//   federated: the role of the agent's last successful GetFederationToken.
//
// Athena's table is the one AWS documents with partition projection
// ("Create the table for CloudTrail logs in Athena using partition
// projection": cloudtrail_logs_pp, partitioned by timestamp, yyyy/MM/dd):
// the query names the window's partitions, so Athena reads the window's
// log files only, not the trail's years.

// TrailSQL returns the query for engine "athena" (table: the CloudTrail
// table's name) or "cloudtrail-lake" (table: the event data store ID),
// over the records since a time.
func TrailSQL(engine, table string, since time.Time) (string, error) {
	// The two engines differ in the table, the columns' spelling and how
	// requestParameters is read (a JSON string in Athena's table, a map in
	// CloudTrail Lake); the query is the same.
	var c struct{ engine, table, name, code, msg, time, source, role, agent, partition, scan string }
	switch engine {
	case "athena":
		c.engine, c.table = "Athena, CloudTrail table", orX(table, "cloudtrail_logs_pp")
		// The partition column of AWS's table: the day's folder,
		// yyyy/MM/dd, compared as a string.
		c.partition = "\"timestamp\" >= '" + since.UTC().Format("2006/01/02") + "'\n    AND "
		days := int(time.Since(since).Hours()/24) + 1
		c.scan = fmt.Sprintf(`-- Scans: the partitions of the %d days since %s ("timestamp" >= '%s'), every Region's
-- (the sign-ins are in us-east-1 and the sign-in endpoints' Regions, the federations in the
-- instance's): Athena bills the bytes of those days' log files, about %d/365 of a year's trail.
-- A table projected by Region too (an organisation's trail, PARTITIONED BY region, timestamp)
-- is scanned the same way; add AND region IN (...) to read fewer Regions.
`, days, since.UTC().Format("2006-01-02"), since.UTC().Format("2006/01/02"), days)
		c.name, c.code, c.msg, c.time, c.source = "eventname", "errorcode", "errormessage", "eventtime", "eventsource"
		c.role = "COALESCE(json_extract_scalar(requestparameters, '$.roleArn'), useridentity.sessioncontext.sessionissuer.arn)"
		c.agent = "COALESCE(json_extract_scalar(requestparameters, '$.roleSessionName'), element_at(split(useridentity.arn, '/'), -1))"
	case "cloudtrail-lake":
		if table == "" {
			return "", errors.New("--trail-sql cloudtrail-lake needs --trail-table: the event data store's ID")
		}
		c.engine, c.table = "CloudTrail Lake, event data store", table
		c.scan = "-- Scans: the event data store's events since SINCE (CloudTrail Lake bills the bytes it scans in the window).\n"
		c.name, c.code, c.msg, c.time, c.source = "eventName", "errorCode", "errorMessage", "eventTime", "eventSource"
		c.role = "COALESCE(element_at(requestParameters, 'roleArn'), userIdentity.sessionContext.sessionIssuer.arn)"
		c.agent = "COALESCE(element_at(requestParameters, 'roleSessionName'), element_at(split(userIdentity.arn, '/'), -1))"
	default:
		return "", fmt.Errorf("--trail-sql %q: use athena or cloudtrail-lake", engine)
	}
	r := strings.NewReplacer("ENGINE", c.engine, "TABLE", c.table, "NAME", c.name, "CODE", c.code, "MSG", c.msg, "TIME", c.time, "SOURCE", c.source,
		"ROLE", c.role, "AGENT", c.agent, "SINCE", since.UTC().Format("2006-01-02T15:04:05Z"), "PARTITION", c.partition, "SCAN", c.scan)
	return r.Replace(`-- samldoctor audit: sign-in failures and bindings (ENGINE TABLE)
SCANWITH signin AS (
  SELECT NAME, CODE, MSG, TIME, ROLE AS role, AGENT AS agent
  FROM TABLE
  WHERE PARTITIONTIME >= 'SINCE'
    AND ((SOURCE = 'sts.amazonaws.com' AND NAME = 'AssumeRoleWithSAML')
      OR (SOURCE = 'connect.amazonaws.com' AND NAME = 'GetFederationToken'))
)
SELECT 'failure' AS kind, NAME, CODE, role, agent, count(*) AS failures, min(TIME) AS first, max(TIME) AS last, max(MSG) AS message
FROM signin WHERE CODE IS NOT NULL GROUP BY NAME, CODE, role, agent
UNION ALL
SELECT 'bound', 'GetFederationToken', '', min_by(role, TIME), agent, 0, min(TIME), min(TIME), ''
FROM signin WHERE CODE IS NULL AND NAME = 'GetFederationToken' GROUP BY agent
UNION ALL
SELECT 'latest', 'AssumeRoleWithSAML', '', max_by(role, TIME), agent, 0, max(TIME), max(TIME), ''
FROM signin WHERE CODE IS NULL GROUP BY agent
UNION ALL
SELECT 'federated', 'GetFederationToken', '', max_by(role, TIME), agent, 0, max(TIME), max(TIME), ''
FROM signin WHERE CODE IS NULL AND NAME = 'GetFederationToken' GROUP BY agent`), nil
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
			t.federated(get("eventname"), role, src)
		case "bound", "federated":
			if agent != "" && role != "" {
				t.note(agent, "GetFederationToken", t.use(role, first, src))
				t.federated("GetFederationToken", role, src)
			}
		case "latest":
			// The last sign-in, of either call: noted as a sign-in (the
			// federated row says which roles federated).
			if agent != "" && role != "" {
				t.note(agent, "AssumeRoleWithSAML", t.use(role, last, src))
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
