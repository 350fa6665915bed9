package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/redact"
)

// The redacted download is made in slices, so that memory does not grow
// with the capture and no request waits on its own answer. A browser does
// not read an HTTP/1.1 answer before it has sent the whole request (a
// server that answers while the upload still arrives fills the socket's
// buffers and both sides wait), and a server that held the upload or the
// download until the end would hold gigabytes. So the page sends the file
// in slices of at most maxSlice bytes, one request each:
//
//	POST /api/redact?name=NAME[&last=1]           the first slice; answers X-Redact-Session
//	POST /api/redact?session=ID&offset=N[&last=1] each next slice, N its offset in the file
//	POST /api/redact?session=ID&finish=1          the outcome: {"name","summary","warning"} or {"error"}
//
// Each slice's answer is the redacted HAR written while that slice was
// read (application/octet-stream; the page joins them). A redaction runs
// in its own goroutine that reads the slices through a pipe and writes
// through a bounded queue: the server holds one slice, the queue, and one
// entry of the HAR (redact.HAR), whatever the size of the capture. An
// error stops the redaction; the next request, or finish, answers it, and
// the page saves nothing. At most maxRedactions run at once; one that
// gets no request for RedactIdle is dropped.
const (
	maxSlice      = 8 << 20
	maxRedactions = 4
	// queuePieces of at most queuePiece bytes: the redacted output
	// written but not yet sent.
	queuePieces = 8
	queuePiece  = 1 << 20
)

// DefaultRedactIdle is how long a redaction waits for its next slice.
const DefaultRedactIdle = 2 * time.Minute

var errAbandoned = errors.New("the page stopped sending the capture")

// redaction is one capture being redacted.
type redaction struct {
	id, name string
	in       *io.PipeWriter
	out      chan []byte
	// done is closed when redact.HAR has returned, with stats and err.
	done  chan struct{}
	stats redact.Stats
	err   error
	// stop is closed to make the redaction give up (abandoned, too large).
	stop     chan struct{}
	stopOnce sync.Once

	dropped atomic.Bool

	mu       sync.Mutex
	busy     bool
	received int64
	last     bool
	idle     *time.Timer
}

// Write queues redacted output, in pieces of at most queuePiece bytes,
// waiting while the queue is full.
func (x *redaction) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), queuePiece)
		piece := append([]byte(nil), p[:k]...)
		select {
		case x.out <- piece:
		case <-x.stop:
			return n, errAbandoned
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

func (x *redaction) abort(err error) {
	x.stopOnce.Do(func() {
		close(x.stop)
		x.in.CloseWithError(err)
	})
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// redact answers one request of a redaction (see maxSlice).
func (s *Server) redact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.bodyLimit(w, r, maxSlice)
	// The body is read whole before anything is answered.
	slice, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge(err) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a slice of the capture is larger than %d MiB", maxSlice>>20))
			return
		}
		s.partError(w, err)
		return
	}
	var x *redaction
	if id := q.Get("session"); id == "" {
		if x, err = s.startRedaction(q.Get("name")); err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	} else if x = s.redactionByID(id); x == nil {
		writeError(w, http.StatusNotFound, "no such redaction (it was dropped after "+s.RedactIdle.String()+" without a request, or it ended): choose the file and download again")
		return
	}
	x.mu.Lock()
	if x.busy {
		x.mu.Unlock()
		writeError(w, http.StatusConflict, "another slice of this capture is being read")
		return
	}
	x.busy = true
	x.idle.Stop()
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		x.busy = false
		if !x.dropped.Load() {
			x.idle.Reset(s.RedactIdle)
		}
		x.mu.Unlock()
	}()
	if q.Get("finish") != "" {
		s.finishRedaction(w, x)
		return
	}
	if q.Get("session") != "" {
		if off, err := strconv.ParseInt(q.Get("offset"), 10, 64); err != nil || off != x.received || x.last {
			writeError(w, http.StatusConflict, fmt.Sprintf("slice at offset %q out of order: %d bytes were received", q.Get("offset"), x.received))
			return
		}
	}
	if x.received+int64(len(slice)) > s.MaxUpload {
		x.abort(fmt.Errorf("larger than %d MiB", s.MaxUpload>>20))
		s.dropRedaction(x)
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the upload is larger than %d MiB; run samldoctor redact on the file instead", s.MaxUpload>>20))
		return
	}
	select {
	case <-x.done:
		if x.err != nil {
			s.dropRedaction(x)
			writeError(w, http.StatusBadRequest, x.err.Error())
			return
		}
	default:
	}
	x.received += int64(len(slice))
	x.last = q.Get("last") != ""
	// The slice goes into the pipe while its redacted output is sent.
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		if _, err := x.in.Write(slice); err == nil && x.last {
			x.in.Close()
		}
	}()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Redact-Session", x.id)
	rc := http.NewResponseController(w)
	send := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if _, err := w.Write(b); err != nil {
			x.abort(errAbandoned)
			s.dropRedaction(x)
			return false
		}
		return true
	}
	drain := func() bool {
		for {
			select {
			case b := <-x.out:
				if !send(b) {
					return false
				}
			default:
				return true
			}
		}
	}
	fedDone := false
	for {
		select {
		case b := <-x.out:
			if !send(b) {
				return
			}
			continue
		case <-r.Context().Done():
			x.abort(errAbandoned)
			s.dropRedaction(x)
			return
		case <-fed:
			fed, fedDone = nil, true
			if !x.last {
				drain()
				return
			}
			continue
		case <-x.done:
			if !fedDone {
				<-fed // the redaction stopped: the pipe refuses the rest
			}
			drain()
			return
		}
	}
}

// finishRedaction answers the outcome of a redaction whose last slice
// was sent, and forgets it.
func (s *Server) finishRedaction(w http.ResponseWriter, x *redaction) {
	if !x.last {
		writeError(w, http.StatusConflict, "the capture's last slice was not sent")
		return
	}
	<-x.done
	s.dropRedaction(x)
	if x.err != nil {
		writeError(w, http.StatusBadRequest, x.err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"name": x.name, "summary": x.stats.String(), "warning": x.stats.Truncated})
}

func (s *Server) startRedaction(name string) (*redaction, error) {
	if name == "" {
		name = "capture.har"
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".har")
	pr, pw := io.Pipe()
	x := &redaction{id: newID(), name: safeName(base) + ".redacted.har", in: pw, out: make(chan []byte, queuePieces), done: make(chan struct{}), stop: make(chan struct{})}
	s.redactMu.Lock()
	if len(s.redactions) >= maxRedactions {
		s.redactMu.Unlock()
		return nil, fmt.Errorf("%d captures are being redacted already; wait for one to finish", maxRedactions)
	}
	if s.redactions == nil {
		s.redactions = map[string]*redaction{}
	}
	s.redactions[x.id] = x
	x.idle = time.AfterFunc(s.RedactIdle, func() {
		x.abort(errAbandoned)
		s.dropRedaction(x)
	})
	x.idle.Stop() // started when the first request ends
	s.redactMu.Unlock()
	go func() {
		defer close(x.done)
		text, _, err := capture.Text(name, pr)
		if err == nil {
			x.stats, err = redact.HAR(name, text, x)
		}
		x.err = err
		// Whatever is still sent is refused, so no write waits.
		pr.CloseWithError(errors.New("the redaction has stopped"))
	}()
	return x, nil
}

func (s *Server) redactionByID(id string) *redaction {
	s.redactMu.Lock()
	defer s.redactMu.Unlock()
	return s.redactions[id]
}

func (s *Server) dropRedaction(x *redaction) {
	s.redactMu.Lock()
	defer s.redactMu.Unlock()
	if s.redactions[x.id] == x {
		delete(s.redactions, x.id)
	}
	x.dropped.Store(true)
	x.idle.Stop()
}

// Redactions says how many redactions are running (tests).
func (s *Server) Redactions() int {
	s.redactMu.Lock()
	defer s.redactMu.Unlock()
	return len(s.redactions)
}
