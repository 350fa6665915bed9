package redact

import (
	"bufio"

	"github.com/samldoctor/samldoctor/internal/secret"

	"github.com/samldoctor/samldoctor/internal/jsonscan"
)

// stream copies the value d is at to w without holding it: objects and
// arrays member by member, every string and key through lastLook, at most
// maxString of each string kept. It is how everything outside the entries
// is written (pages, the creator, comments, fields of other tools), so
// that memory does not grow with any of them. A value cut short by the
// end of the input still gives well-formed output: a member's key is
// written once its value has started, and every bracket opened is closed
// as the readers return.
func stream(d *jsonscan.Decoder, w *bufio.Writer, depth int) error {
	k, err := d.Peek()
	if err != nil {
		return err
	}
	if depth > maxDepth {
		return &DepthError{Offset: d.Offset()}
	}
	switch k {
	case jsonscan.Object:
		return streamObject(d, w, depth, nil)
	case jsonscan.Array:
		w.WriteByte('[')
		err := d.ReadArray(func(i int) error {
			return streamItem(d, w, depth+1, i > 0)
		})
		w.WriteByte(']')
		return err
	}
	return streamItem(d, w, depth, false)
}

// streamItem is stream for one array element or member value; comma says
// a comma goes before it.
func streamItem(d *jsonscan.Decoder, w *bufio.Writer, depth int, comma bool) error {
	k, err := d.Peek()
	if err != nil {
		return err
	}
	switch k {
	case jsonscan.Object, jsonscan.Array:
		if comma {
			w.WriteByte(',')
		}
		return stream(d, w, depth)
	case jsonscan.String:
		s, complete, err := d.ReadString(maxString)
		if err != nil {
			return err
		}
		if comma {
			w.WriteByte(',')
		}
		if !complete {
			return writeString(w, removedLong)
		}
		return writeString(w, lastLook(s))
	}
	lit, err := d.ReadScalar(64)
	if err != nil {
		return err
	}
	if comma {
		w.WriteByte(',')
	}
	_, err = w.WriteString(lit)
	return err
}

// streamObject copies an object as stream does, except that the value of
// a key in own is written by its function, which reads it itself.
func streamObject(d *jsonscan.Decoder, w *bufio.Writer, depth int, own map[string]func() error) error {
	w.WriteByte('{')
	first := true
	err := d.ReadObject(func(key string) error {
		sep := func() {
			if !first {
				w.WriteByte(',')
			}
			first = false
			writeString(w, lastLook(key))
			w.WriteByte(':')
		}
		if f := own[key]; f != nil {
			// The function reads the value; it writes nothing before
			// the value has started.
			if _, err := d.Peek(); err != nil {
				return err
			}
			sep()
			return f()
		}
		k, err := d.Peek()
		if err != nil {
			return err
		}
		if k == jsonscan.Object || k == jsonscan.Array {
			sep()
			return stream(d, w, depth+1)
		}
		// A string or literal is read whole before its key is written.
		var lit string
		var complete = true
		if k == jsonscan.String {
			lit, complete, err = d.ReadString(maxString)
		} else {
			lit, err = d.ReadScalar(64)
		}
		if err != nil {
			return err
		}
		sep()
		switch {
		case k != jsonscan.String:
			_, err = w.WriteString(lit)
		case !complete:
			err = writeString(w, removedLong)
		case credentialMember(key, k) && lit != "" && !secret.IsMasked(lit):
			err = writeString(w, secret.Marker)
		default:
			err = writeString(w, lastLook(lit))
		}
		return err
	})
	w.WriteByte('}')
	return err
}
