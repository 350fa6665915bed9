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
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/jsonscan"
)

// Sink receives the records of interest of one worker. The *Event is
// reused for the next record: Add may keep its fields, not the pointer.
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
// Files in folders that are not regular files (named pipes, devices) are
// left out too: List says which.
func Files(paths []string) (files []string, digests int, err error) {
	l, err := List(paths)
	return l.Files, l.Digests, err
}

// Listing is what List found.
type Listing struct {
	Files []string
	// Digests are the digest files left out.
	Digests int
	// Skipped are files in folders that cannot be read as files (a named
	// pipe would wait for a writer for ever).
	Skipped []inputfile.Skipped
}

// List lists the log files under paths as Files does, with the files of
// folders it left out and why.
func List(paths []string) (Listing, error) {
	var l Listing
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return Listing{}, fmt.Errorf("--trail %s: %w", p, err)
		}
		if !st.IsDir() {
			l.Files = append(l.Files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if name == "CloudTrail-Digest" {
					l.Digests++
					return filepath.SkipDir
				}
				return nil
			}
			if strings.Contains(name, "_CloudTrail-Digest_") {
				l.Digests++
				return nil
			}
			if strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json") {
				if ok, why := inputfile.InFolder(path, d); !ok {
					l.Skipped = append(l.Skipped, inputfile.Skipped{Path: path, Why: why})
					return nil
				}
				l.Files = append(l.Files, path)
			}
			return nil
		})
		if err != nil {
			return Listing{}, fmt.Errorf("--trail %s: %w", p, err)
		}
	}
	sort.Strings(l.Files)
	return l, nil
}

// signInEvents are the records samldoctor judges sign-ins by.
type signInEvent struct{ source, name string }

var signInEvents = []signInEvent{
	{"sts.amazonaws.com", "AssumeRoleWithSAML"},
	{"connect.amazonaws.com", "GetFederationToken"},
}

// Interesting reports whether a record is one samldoctor judges sign-ins
// by: STS AssumeRoleWithSAML, Connect GetFederationToken.
func Interesting(source, name string) bool {
	for _, e := range signInEvents {
		if e.source == source && e.name == name {
			return true
		}
	}
	return false
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
			fr := newFileReader() // one per worker: memory does not grow with the files
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				n, k, b, err := fr.file(files[i], since, sink)
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

// fileReader reads log files one after another, reusing its buffers and
// decompressor.
type fileReader struct {
	cnt counter
	br  *bufio.Reader
	zr  *gzip.Reader
	d   *jsonscan.Decoder
	rd  *reader
}

func newFileReader() *fileReader {
	fr := &fileReader{d: jsonscan.NewDecoder(nil, 256<<10)}
	fr.br = bufio.NewReaderSize(&fr.cnt, 256<<10)
	fr.rd = &reader{d: fr.d, common: map[string]string{}}
	return fr
}

func (fr *fileReader) file(path string, since time.Time, sink Sink) (records, kept, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	return fr.stream(path, f, since, sink)
}

// ReadStream reads one log file from r (gzipped when name ends in .gz or
// the content says so), passing its records of interest to sink.
func ReadStream(name string, r io.Reader, since time.Time, sink Sink) (records, kept, size int64, err error) {
	return newFileReader().stream(name, r, since, sink)
}

func (fr *fileReader) stream(name string, r io.Reader, since time.Time, sink Sink) (records, kept, size int64, err error) {
	fr.cnt = counter{r: r}
	br := fr.br
	br.Reset(&fr.cnt)
	var in io.Reader = br
	if head, _ := br.Peek(2); strings.HasSuffix(name, ".gz") || len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		var err error
		if fr.zr == nil {
			fr.zr, err = gzip.NewReader(br)
		} else {
			err = fr.zr.Reset(br)
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s: not gzip: %w", name, err)
		}
		in = fr.zr
	}
	src := evidence.Source{File: name, Kind: "CloudTrail log file"}
	d, rd := fr.d, fr.rd
	d.Reset(in)
	err = d.ReadObject(func(key string) error {
		if key != "Records" {
			return d.Skip()
		}
		return d.ReadArray(func(i int) error {
			records++
			ev, err := rd.record()
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
		return records, kept, fr.cnt.n, fmt.Errorf("%s (byte %d of the log): %w", name, d.Offset(), err)
	}
	return records, kept, fr.cnt.n, nil
}

// maxField bounds the strings kept from a record.
const maxField = 2048

// reader reads one log file's records.
type reader struct {
	d *jsonscan.Decoder
	// common holds the strings that recur across records (roles,
	// providers, error codes and messages), so each is allocated once.
	common map[string]string
	ev     evidence.Event // the record being read, reused
	id     []byte         // its eventID, made a string only for a failure
}

// maxCommon bounds the strings remembered.
const maxCommon = 1024

// shared reads a string field of few distinct values.
func (r *reader) shared() (string, error) {
	b, err := r.d.ReadTextBytes(maxField)
	if err != nil || len(b) == 0 {
		return "", err
	}
	v, ok := r.common[string(b)]
	if !ok {
		v = string(b)
		if len(r.common) < maxCommon {
			r.common[v] = v
		}
	}
	return v, nil
}

// own reads a string field of its own (an agent's name, a time).
func (r *reader) own() (string, error) { return r.d.ReadText(maxField) }

// record reads one record's fields; nil for a record of no interest. It
// keeps what audit judges a sign-in by. Once eventSource and eventName
// show another event (CloudTrail writes them before the request and the
// response), the rest is skipped unread.
func (r *reader) record() (*evidence.Event, error) {
	d := r.d
	r.ev = evidence.Event{}
	ev := &r.ev
	r.id = r.id[:0]
	var when time.Time
	other := false
	err := d.ReadMembers(func(key []byte) error {
		if other {
			return d.Skip()
		}
		var err error
		switch string(key) {
		case "eventID":
			var v []byte
			v, err = d.ReadTextBytes(maxField)
			r.id = append(r.id, v...)
		case "eventName":
			var v []byte
			if v, err = d.ReadTextBytes(maxField); err == nil {
				ev.Name = known(v, func(e signInEvent) string { return e.name })
				other = ev.Name == "" || ev.Source != "" && !Interesting(ev.Source, ev.Name)
			}
		case "eventSource":
			var v []byte
			if v, err = d.ReadTextBytes(maxField); err == nil {
				ev.Source = known(v, func(e signInEvent) string { return e.source })
				other = ev.Source == "" || ev.Name != "" && !Interesting(ev.Source, ev.Name)
			}
		case "eventTime":
			var v []byte
			if v, err = d.ReadTextBytes(maxField); err == nil {
				when = parseTime(v)
			}
		case "awsRegion":
			ev.Region, err = r.shared()
		case "errorCode":
			ev.ErrorCode, err = r.shared()
		case "errorMessage":
			ev.ErrorMsg, err = r.shared()
		case "userIdentity":
			err = r.identity(ev)
		case "requestParameters":
			err = r.params(ev)
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if other || !Interesting(ev.Source, ev.Name) {
		return nil, nil
	}
	ev.Time = when
	if ev.ErrorCode != "" {
		ev.ID = string(r.id) // a failure's evidence names its record
	}
	return ev, nil
}

// parseTime reads an eventTime. CloudTrail writes 2026-11-28T09:00:01Z:
// that form is read in place (a million records, a million strings
// spared); any other goes to time.Parse. The zero time when unreadable.
func parseTime(b []byte) time.Time {
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	if len(b) == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == 'Z' {
		y, mo, d, h, mi, s := num(b[:4]), num(b[5:7]), num(b[8:10]), num(b[11:13]), num(b[14:16]), num(b[17:19])
		if y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60 {
			t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
			if t.Day() == d { // not 31 November
				return t
			}
		}
	}
	t, _ := time.Parse(time.RFC3339, string(b))
	return t
}

// known is the event name or source (of) that v spells, without
// allocating, or "".
func known(v []byte, of func(signInEvent) string) string {
	for _, e := range signInEvents {
		if string(v) == of(e) {
			return of(e)
		}
	}
	return ""
}

// object reads an object's members with fn; a value of another kind is
// skipped (a field CloudTrail leaves null).
func (r *reader) object(fn func(key []byte) error) error {
	k, err := r.d.Peek()
	if err != nil {
		return err
	}
	if k != jsonscan.Object {
		return r.d.Skip()
	}
	return r.d.ReadMembers(fn)
}

func (r *reader) identity(ev *evidence.Event) error {
	d := r.d
	return r.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "type":
			ev.IdentityType, err = r.shared()
		case "arn":
			ev.IdentityARN, err = r.own()
		case "userName":
			ev.Username, err = r.own()
		case "sessionContext":
			err = r.object(func(key []byte) error {
				if string(key) != "sessionIssuer" {
					return d.Skip()
				}
				return r.object(func(key []byte) error {
					if string(key) != "arn" {
						return d.Skip()
					}
					var err error
					ev.SessionIssuerARN, err = r.shared()
					return err
				})
			})
		default:
			err = d.Skip()
		}
		return err
	})
}

func (r *reader) params(ev *evidence.Event) error {
	d := r.d
	return r.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "roleArn":
			ev.RoleARN, err = r.shared()
		case "principalArn":
			ev.PrincipalARN, err = r.shared()
		case "roleSessionName":
			// Most often the userName already read: the same string.
			var v []byte
			if v, err = d.ReadTextBytes(maxField); err == nil {
				ev.RoleSessionName = ev.Username
				if string(v) != ev.Username {
					ev.RoleSessionName = string(v)
				}
			}
		case "InstanceId", "instanceId":
			ev.InstanceID, err = r.shared()
		default:
			err = d.Skip()
		}
		return err
	})
}
