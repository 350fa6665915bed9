// Command genaudit writes the scale data of bench/audit.sh: a Connect
// instance's list-users output, the IdP's user export (Entra ID's CSV),
// and CloudTrail log files as a trail writes them to S3
// (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz, with a digest
// folder beside them). Records look like real ones (the fields CloudTrail
// writes, about 1.5 KB each): AssumeRoleWithSAML and GetFederationToken,
// some failing, among other services' events.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

const (
	account  = "111122223333"
	instance = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

func main() {
	users := flag.Int("users", 100000, "Connect users and IdP users")
	records := flag.Int("records", 1000000, "CloudTrail records")
	perFile := flag.Int("per-file", 2500, "records per log file")
	dir := flag.String("o", "audit-data", "output folder")
	flag.Parse()
	must(os.MkdirAll(filepath.Join(*dir, "aws-data"), 0o755))
	writeUsers(filepath.Join(*dir, "aws-data", "list-users.json"), filepath.Join(*dir, "entra-users.csv"), *users)
	writeTrail(filepath.Join(*dir, "trail"), *records, *perFile, *users)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "genaudit:", err)
		os.Exit(1)
	}
}

func agent(i int) string { return fmt.Sprintf("agent%06d@example.com", i) }

// writeUsers writes the Connect users and the IdP's: one in a hundred
// Connect users named with a capital first letter (the IdP sends lower
// case), one in a hundred IdP users without a Connect user.
func writeUsers(usersPath, csvPath string, n int) {
	f, err := os.Create(usersPath)
	must(err)
	w := bufio.NewWriter(f)
	w.WriteString(`{"UserSummaryList":[`)
	for i := 0; i < n; i++ {
		name := agent(i)
		if i%100 == 1 {
			name = "A" + name[1:]
		}
		if i%100 == 2 {
			continue
		}
		if i > 0 {
			w.WriteString(",")
		}
		id := fmt.Sprintf("%08x-1a3d-4e5f-8a9b-0c1d2e3f4a5b", i)
		fmt.Fprintf(w, `{"Id":%q,"Arn":"arn:aws:connect:ap-southeast-2:%s:instance/%s/agent/%s","Username":%q,"LastModifiedRegion":"ap-southeast-2"}`, id, account, instance, id, name)
	}
	w.WriteString("]}\n")
	must(w.Flush())
	must(f.Close())
	c, err := os.Create(csvPath)
	must(err)
	cw := bufio.NewWriter(c)
	cw.WriteString("id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(cw, "%08x-7f3d-4c1e-9a8b-1d2e3f4a5b6c,%s,Agent %d,Agent,%s,Number%d,Member,True\n", i, agent(i), i, agent(i), i)
	}
	must(cw.Flush())
	must(c.Close())
}

// writeTrail writes the records in files of perFile records.
func writeTrail(dir string, n, perFile, users int) {
	rng := rand.New(rand.NewSource(1))
	start := time.Now().UTC().Add(-6 * 24 * time.Hour)
	step := 6 * 24 * time.Hour / time.Duration(n)
	for file := 0; file*perFile < n; file++ {
		t0 := start.Add(time.Duration(file*perFile) * step)
		day := filepath.Join(dir, "AWSLogs", account, "CloudTrail", "us-east-1", t0.Format("2006"), t0.Format("01"), t0.Format("02"))
		must(os.MkdirAll(day, 0o755))
		name := fmt.Sprintf("%s_CloudTrail_us-east-1_%s_%06d.json.gz", account, t0.Format("20060102T1504Z"), file)
		f, err := os.Create(filepath.Join(day, name))
		must(err)
		zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
		bw := bufio.NewWriterSize(zw, 1<<20)
		enc := json.NewEncoder(bw)
		bw.WriteString(`{"Records":[`)
		for r := 0; r < perFile && file*perFile+r < n; r++ {
			if r > 0 {
				bw.WriteString(",")
			}
			must(enc.Encode(record(rng, t0.Add(time.Duration(r)*step), users)))
		}
		bw.WriteString("]}\n")
		must(bw.Flush())
		must(zw.Close())
		must(f.Close())
	}
	digest := filepath.Join(dir, "AWSLogs", account, "CloudTrail-Digest", "us-east-1", start.Format("2006/01/02"))
	must(os.MkdirAll(digest, 0o755))
	must(os.WriteFile(filepath.Join(digest, account+"_CloudTrail-Digest_us-east-1_x.json.gz"), []byte("not a log"), 0o644))
}

func record(rng *rand.Rand, at time.Time, users int) map[string]any {
	a := agent(rng.Intn(users))
	role := "arn:aws:iam::" + account + ":role/ConnectAgents"
	common := map[string]any{
		"eventVersion": "1.09", "eventTime": at.Format(time.RFC3339), "awsRegion": "us-east-1",
		"sourceIPAddress": fmt.Sprintf("203.0.113.%d", rng.Intn(250)), "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"requestID": fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), rng.Uint64()&0xffffffffffff), "eventID": fmt.Sprintf("%08x-1111-4000-8000-%012x", rng.Uint32(), rng.Uint64()&0xffffffffffff),
		"readOnly": true, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account, "eventCategory": "Management",
		"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "sts.amazonaws.com"},
	}
	switch p := rng.Intn(100); {
	case p < 50: // AssumeRoleWithSAML
		common["eventSource"], common["eventName"] = "sts.amazonaws.com", "AssumeRoleWithSAML"
		common["userIdentity"] = map[string]any{"type": "SAMLUser", "principalId": "VGVzdElzc3Vlcg==:" + a, "userName": a, "identityProvider": "VGVzdElzc3Vlcg=="}
		common["requestParameters"] = map[string]any{"sAMLAssertionID": fmt.Sprintf("_%x", rng.Uint64()), "roleSessionName": a, "roleArn": role, "principalArn": "arn:aws:iam::" + account + ":saml-provider/EntraID", "durationSeconds": 43200}
		if p < 3 {
			common["errorCode"], common["errorMessage"] = "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML"
		} else {
			common["responseElements"] = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAEXAMPLE", "expiration": at.Add(12 * time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
				"assumedRoleUser": map[string]any{"assumedRoleId": "AROAEXAMPLEID:" + a, "arn": "arn:aws:sts::" + account + ":assumed-role/ConnectAgents/" + a},
				"subject":         a, "subjectType": "persistent", "issuer": "https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/", "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": "abc="}
		}
	case p < 80: // GetFederationToken
		common["eventSource"], common["eventName"] = "connect.amazonaws.com", "GetFederationToken"
		common["userIdentity"] = map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLEID:" + a, "arn": "arn:aws:sts::" + account + ":assumed-role/ConnectAgents/" + a,
			"accountId": account, "sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAEXAMPLEID", "arn": role, "accountId": account, "userName": "ConnectAgents"},
				"attributes": map[string]any{"creationDate": at.Add(-time.Second).Format(time.RFC3339), "mfaAuthenticated": "false"}}}
		common["requestParameters"] = map[string]any{"InstanceId": instance}
		if p < 52 {
			common["errorCode"], common["errorMessage"] = "AccessDeniedException", "User is not authorized to access this resource"
		}
	default: // another service
		common["eventSource"], common["eventName"] = "s3.amazonaws.com", "GetObject"
		common["userIdentity"] = map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::" + account + ":assumed-role/App/i-0123"}
		common["requestParameters"] = map[string]any{"bucketName": "app-assets", "key": fmt.Sprintf("images/%d.png", rng.Intn(100000)), "Host": "app-assets.s3.amazonaws.com"}
		common["resources"] = []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::app-assets/images/x.png"}, map[string]any{"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::app-assets"}}
	}
	return common
}
