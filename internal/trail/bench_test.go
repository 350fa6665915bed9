package trail_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/trail"
)

type count struct{ n *int }

func (c count) Add(*evidence.Event) { *c.n++ }

// writeLogs writes 40 gzipped log files of 2,500 records (about 128 MiB of
// JSON, 80% sign-in records) and returns their files and JSON size.
func writeLogs(b *testing.B) ([]string, int64) {
	dir := b.TempDir()
	rec := `{"eventVersion":"1.09","userIdentity":{"type":"SAMLUser","principalId":"VGVzdA==:agent%06d@example.com","userName":"agent%06d@example.com","identityProvider":"VGVzdA=="},` +
		`"eventTime":"2026-11-28T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7",` +
		`"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",` +
		`"requestParameters":{"sAMLAssertionID":"_3f2a9c","roleSessionName":"agent%06d@example.com","roleArn":"arn:aws:iam::111122223333:role/ConnectAgents","principalArn":"arn:aws:iam::111122223333:saml-provider/EntraID","durationSeconds":43200},` +
		`"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE","expiration":"Nov 28, 2026, 9:00:00 PM"},"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLEID:agent","arn":"arn:aws:sts::111122223333:assumed-role/ConnectAgents/agent"},"subject":"agent","subjectType":"persistent","issuer":"https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/","audience":"https://signin.aws.amazon.com/saml","nameQualifier":"abc="},` +
		`"requestID":"0b1c2d3e-0000-4000-8000-000000000000","eventID":"1c2d3e4f-1111-4000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management",` +
		`"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"sts.amazonaws.com"}}`
	other := `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/App/i-0123"},"eventTime":"2026-11-28T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",` +
		`"requestParameters":{"bucketName":"app-assets","key":"images/%d.png","Host":"app-assets.s3.amazonaws.com"},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::app-assets/images/x.png"}],"eventID":"x","readOnly":true}`
	var size int64
	for f := 0; f < 40; f++ {
		var sb strings.Builder
		sb.WriteString(`{"Records":[`)
		for r := 0; r < 2500; r++ {
			if r > 0 {
				sb.WriteString(",")
			}
			if r%5 == 0 {
				fmt.Fprintf(&sb, other, r)
			} else {
				fmt.Fprintf(&sb, rec, r, r, r)
			}
		}
		sb.WriteString("]}")
		size += int64(sb.Len())
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%02d.json.gz", f)))
		if err != nil {
			b.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
		zw.Write([]byte(sb.String()))
		zw.Close()
		out.Close()
	}
	files, _, err := trail.Files([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	return files, size
}

// BenchmarkRead reads writeLogs' files with two workers; SetBytes counts
// the JSON. bench/audit.sh runs the whole audit at scale, beside jq.
func BenchmarkRead(b *testing.B) {
	files, size := writeLogs(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, st, err := trail.Read(context.Background(), files, time.Time{}, 2, func() count { return count{new(int)} }, nil)
		if err != nil || st.Kept != 80000 {
			b.Fatal(err, st)
		}
	}
}

// BenchmarkGunzip is the decompression alone, one file after another, with
// the standard library's reader and with klauspost/compress's, which trail
// uses: the share of a read that no parser can save.
func BenchmarkGunzip(b *testing.B) {
	files, size := writeLogs(b)
	for _, r := range []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"stdlib", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				for _, f := range files {
					fh, err := os.Open(f)
					if err != nil {
						b.Fatal(err)
					}
					z, err := r.open(bufio.NewReaderSize(fh, 256<<10))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(io.Discard, z); err != nil {
						b.Fatal(err)
					}
					fh.Close()
				}
			}
		})
	}
}
