package trail_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/trail"
)

type collect struct {
	mu  *sync.Mutex
	all *[]*evidence.Event
}

func (c collect) Add(e *evidence.Event) {
	c.mu.Lock()
	kept := *e // the reader reuses *e
	*c.all = append(*c.all, &kept)
	c.mu.Unlock()
}

func writeGz(t *testing.T, path string, records ...map[string]any) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	json.NewEncoder(zw).Encode(map[string]any{"Records": records})
	zw.Close()
	f.Close()
}

// Records as a trail writes them: AssumeRoleWithSAML (a failure),
// GetFederationToken, and an S3 event that is of no interest; a digest
// folder beside them.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "11", "28")
	arw := map[string]any{"eventVersion": "1.08", "eventTime": "2026-11-28T09:00:01Z", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithSAML", "awsRegion": "us-east-1",
		"errorCode": "AccessDenied", "errorMessage": "Not authorized to perform sts:AssumeRoleWithSAML", "eventID": "e1",
		"userIdentity":      map[string]any{"type": "SAMLUser", "principalId": "x:jane.doe@example.com", "userName": "jane.doe@example.com", "identityProvider": "arn:aws:iam::111122223333:saml-provider/EntraID"},
		"requestParameters": map[string]any{"roleArn": "arn:aws:iam::111122223333:role/ConnectAgents", "principalArn": "arn:aws:iam::111122223333:saml-provider/EntraID", "roleSessionName": "jane.doe@example.com", "sAMLAssertionID": "_a"},
		"responseElements":  nil, "resources": []any{map[string]any{"ARN": "x"}}}
	gft := map[string]any{"eventTime": "2026-11-28T09:05:00Z", "eventSource": "connect.amazonaws.com", "eventName": "GetFederationToken", "awsRegion": "ap-southeast-2", "eventID": "e2",
		"userIdentity":      map[string]any{"type": "AssumedRole", "principalId": "AROA1:john", "arn": "arn:aws:sts::111122223333:assumed-role/ConnectAgents/john", "sessionContext": map[string]any{"sessionIssuer": map[string]any{"arn": "arn:aws:iam::111122223333:role/ConnectAgents", "type": "Role"}}},
		"requestParameters": map[string]any{"InstanceId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}
	s3 := map[string]any{"eventTime": "2026-11-28T09:06:00Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "requestParameters": map[string]any{"bucketName": "b"}}
	old := map[string]any{"eventTime": "2026-10-01T00:00:00Z", "eventSource": "connect.amazonaws.com", "eventName": "GetFederationToken", "eventID": "e0"}
	writeGz(t, filepath.Join(base, "111122223333_CloudTrail_us-east-1_20261128T0900Z_a.json.gz"), arw, s3)
	writeGz(t, filepath.Join(base, "111122223333_CloudTrail_us-east-1_20261128T0905Z_b.json.gz"), gft, old)
	writeGz(t, filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1", "2026", "11", "28", "111122223333_CloudTrail-Digest_us-east-1_x.json.gz"), map[string]any{"x": 1})

	files, digests, err := trail.Files([]string{dir})
	if err != nil || len(files) != 2 || digests != 1 {
		t.Fatalf("files %v, digests %d, %v", files, digests, err)
	}
	var mu sync.Mutex
	var all []*evidence.Event
	var progress []int
	var pmu sync.Mutex
	_, st, err := trail.Read(context.Background(), files, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2,
		func() collect { return collect{&mu, &all} }, func(done, total int) { pmu.Lock(); progress = append(progress, done); pmu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	if st.Records != 4 || st.Kept != 2 || len(all) != 2 || len(progress) != 2 {
		t.Fatalf("stats %+v, kept %d, progress %v", st, len(all), progress)
	}
	a, g := all[0], all[1]
	if a.Name != "AssumeRoleWithSAML" || a.ErrorCode != "AccessDenied" || a.RoleARN != "arn:aws:iam::111122223333:role/ConnectAgents" || a.RoleSessionName != "jane.doe@example.com" ||
		a.Username != "jane.doe@example.com" || a.ID != "e1" || !a.Time.Equal(time.Date(2026, 11, 28, 9, 0, 1, 0, time.UTC)) || !strings.HasSuffix(a.File.File, "_a.json.gz") {
		t.Errorf("AssumeRoleWithSAML %+v", a)
	}
	if g.Name != "GetFederationToken" || g.SessionIssuerARN != "arn:aws:iam::111122223333:role/ConnectAgents" || g.IdentityARN != "arn:aws:sts::111122223333:assumed-role/ConnectAgents/john" || g.InstanceID != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
		t.Errorf("GetFederationToken %+v", g)
	}
}

// A corrupt file is an error naming it and the place.
func TestReadCorrupt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	os.WriteFile(p, []byte(`{"Records":[{"eventName":"AssumeRoleWithSAML",}]}`), 0o644)
	_, _, err := trail.Read(context.Background(), []string{p}, time.Time{}, 1, func() collect { return collect{&sync.Mutex{}, new([]*evidence.Event)} }, nil)
	if err == nil || !strings.Contains(err.Error(), "x.json (byte ") || !strings.Contains(err.Error(), "record 0") {
		t.Errorf("err %v", err)
	}
	os.WriteFile(p+".gz", []byte("not gzip"), 0o644)
	if _, _, err := trail.Read(context.Background(), []string{p + ".gz"}, time.Time{}, 1, func() collect { return collect{&sync.Mutex{}, new([]*evidence.Event)} }, nil); err == nil || !strings.Contains(err.Error(), "not gzip") {
		t.Errorf("err %v", err)
	}
}

// A worker reads its files with one set of buffers: what a file costs is
// its records, not the reader's 512 KiB of buffers and decompressor again,
// so memory does not grow with the number of files.
func TestBuffersReusedAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	rec := map[string]any{"eventTime": "2026-11-28T09:00:01Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject"}
	for i := 0; i < 200; i++ {
		writeGz(t, filepath.Join(dir, fmt.Sprintf("f%03d.json.gz", i)), rec)
	}
	files, _, err := trail.Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	read := func() uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, _, err := trail.Read(context.Background(), files, time.Time{}, 1, func() collect { return collect{&sync.Mutex{}, new([]*evidence.Event)} }, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	read() // warm up
	if perFile := read() / uint64(len(files)); perFile > 16<<10 {
		t.Errorf("%d bytes allocated per file", perFile)
	}
}
