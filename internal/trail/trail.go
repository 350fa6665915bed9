// Package trail reads CloudTrail log files as a trail writes them to S3
// (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz, synced with aws
// s3 sync): many files, read in parallel, each streamed, keeping of each
// record only what samldoctor judges sign-ins by. Memory does not grow
// with the number or size of the files: records go to a sink, one per
// worker, which the caller merges.
package trail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/jsonscan"
)

// Sink receives the records of interest of one worker.
type Sink interface {
	Add(*evidence.Event)
}

// Stats counts what a read saw.
type Stats struct {
	Files   int
	Records int64
	// Kept are the records passed to the sinks.
	Kept int64
	// Digests are the digest files skipped (they sign the logs; they
	// hold no events).
	Digests int
	Bytes   int64
}

// Files lists the log files under paths: files as given, folders walked
// for *.json.gz and *.json, digest files (CloudTrail-Digest) left out.
func Files(paths []string) (files []string, digests int, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, 0, fmt.Errorf("--trail %s: %w", p, err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if name == "CloudTrail-Digest" {
					digests++
					return filepath.SkipDir
				}
				return nil
			}
			if strings.Contains(name, "_CloudTrail-Digest_") {
				digests++
				return nil
			}
			if strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("--trail %s: %w", p, err)
		}
	}
	sort.Strings(files)
	return files, digests, nil
}

// Interesting reports whether a record is one samldoctor judges sign-ins
// by: STS AssumeRoleWithSAML, Connect GetFederationToken.
func Interesting(source, name string) bool {
	return name == "AssumeRoleWithSAML" && source == "sts.amazonaws.com" ||
		name == "GetFederationToken" && source == "connect.amazonaws.com"
}

// Read reads the files with workers goroutines, each with its own sink
// from newSink, and returns the sinks. Records before since are skipped.
// progress, when set, is called after each file with the files done.
func Read[S Sink](ctx context.Context, files []string, since time.Time, workers int, newSink func() S, progress func(done, total int)) ([]S, Stats, error) {
	if workers < 1 {
		workers = 1
	}
	var (
		st       Stats
		next     atomic.Int64
		done     atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	sinks := make([]S, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var records, kept, bytes atomic.Int64
	for w := range workers {
		sinks[w] = newSink()
		wg.Add(1)
		go func(sink S) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				n, k, b, err := readFile(files[i], since, sink)
				records.Add(n)
				kept.Add(k)
				bytes.Add(b)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				if d := done.Add(1); progress != nil {
					progress(int(d), len(files))
				}
			}
		}(sinks[w])
	}
	wg.Wait()
	st.Files, st.Records, st.Kept, st.Bytes = len(files), records.Load(), kept.Load(), bytes.Load()
	if firstErr == nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
		firstErr = ctx.Err()
	}
	return sinks, st, firstErr
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readFile streams one log file's Records.
func readFile(path string, since time.Time, sink Sink) (records, kept, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	return ReadStream(path, f, since, sink)
}

// ReadStream reads one log file from r (gzipped when name ends in .gz or
// the content says so), passing its records of interest to sink.
func ReadStream(name string, r io.Reader, since time.Time, sink Sink) (records, kept, size int64, err error) {
	cnt := &counter{r: r}
	br := bufio.NewReader(cnt)
	var in io.Reader = br
	if head, _ := br.Peek(2); strings.HasSuffix(name, ".gz") || len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s: not gzip: %w", name, err)
		}
		defer zr.Close()
		in = zr
	}
	path := name
	src := evidence.Source{File: path, Kind: "CloudTrail log file"}
	d := jsonscan.NewDecoder(in, 256<<10)
	err = d.ReadObject(func(key string) error {
		if key != "Records" {
			return d.Skip()
		}
		return d.ReadArray(func(i int) error {
			records++
			ev, err := readRecord(d)
			if err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
			if ev == nil || !since.IsZero() && ev.Time.Before(since) {
				return nil
			}
			ev.File = src
			kept++
			sink.Add(ev)
			return nil
		})
	})
	if err != nil {
		return records, kept, cnt.n, fmt.Errorf("%s (byte %d of the log): %w", path, d.Offset(), err)
	}
	return records, kept, cnt.n, nil
}

// maxField bounds the strings kept from a record.
const maxField = 2048

// readRecord reads one record's fields; nil for a record of no interest.
func readRecord(d *jsonscan.Decoder) (*evidence.Event, error) {
	ev := &evidence.Event{}
	var when string
	str := func() (string, error) {
		if k, err := d.Peek(); err != nil || k != jsonscan.String {
			if err != nil {
				return "", err
			}
			return "", d.Skip()
		}
		s, _, err := d.ReadString(maxField)
		return s, err
	}
	err := d.ReadObject(func(key string) error {
		var err error
		switch key {
		case "eventID":
			ev.ID, err = str()
		case "eventName":
			ev.Name, err = str()
		case "eventSource":
			ev.Source, err = str()
		case "eventTime":
			when, err = str()
		case "awsRegion":
			ev.Region, err = str()
		case "errorCode":
			ev.ErrorCode, err = str()
		case "errorMessage":
			ev.ErrorMsg, err = str()
		case "userIdentity":
			err = readIdentity(d, ev, str)
		case "requestParameters":
			err = readParams(d, ev, str)
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !Interesting(ev.Source, ev.Name) {
		return nil, nil
	}
	ev.Time, _ = time.Parse(time.RFC3339, when)
	return ev, nil
}

func isObject(d *jsonscan.Decoder) (bool, error) {
	k, err := d.Peek()
	if err != nil {
		return false, err
	}
	if k != jsonscan.Object {
		return false, d.Skip()
	}
	return true, nil
}

func readIdentity(d *jsonscan.Decoder, ev *evidence.Event, str func() (string, error)) error {
	if ok, err := isObject(d); !ok {
		return err
	}
	return d.ReadObject(func(key string) error {
		var err error
		switch key {
		case "type":
			ev.IdentityType, err = str()
		case "arn":
			ev.IdentityARN, err = str()
		case "principalId":
			ev.PrincipalID, err = str()
		case "userName":
			ev.Username, err = str()
		case "sessionContext":
			if ok, err := isObject(d); !ok {
				return err
			}
			return d.ReadObject(func(key string) error {
				if key != "sessionIssuer" {
					return d.Skip()
				}
				if ok, err := isObject(d); !ok {
					return err
				}
				return d.ReadObject(func(key string) error {
					if key == "arn" {
						var err error
						ev.SessionIssuerARN, err = str()
						return err
					}
					return d.Skip()
				})
			})
		default:
			err = d.Skip()
		}
		return err
	})
}

func readParams(d *jsonscan.Decoder, ev *evidence.Event, str func() (string, error)) error {
	if ok, err := isObject(d); !ok {
		return err
	}
	return d.ReadObject(func(key string) error {
		var err error
		switch key {
		case "roleArn":
			ev.RoleARN, err = str()
		case "principalArn":
			ev.PrincipalARN, err = str()
		case "roleSessionName":
			ev.RoleSessionName, err = str()
		case "InstanceId", "instanceId":
			ev.InstanceID, err = str()
		default:
			err = d.Skip()
		}
		return err
	})
}
