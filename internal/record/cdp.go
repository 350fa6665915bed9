package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// client speaks the DevTools protocol over one connection to the
// browser, with flattened sessions: a command names the session (the
// target) it is for, and every event arrives with the session it came
// from. chromedp's own Browser routes events only to the targets it
// created, so the recorder keeps its own sessions to see the popups and
// frames the browser attaches it to.
type client struct {
	conn    *chromedp.Conn
	next    atomic.Int64
	mu      sync.Mutex
	pending map[int64]chan *cdproto.Message
	// events receives every event, in the order the browser sent them.
	events chan event
	// closed is closed when the connection ends.
	closed chan struct{}
	wmu    sync.Mutex
}

// event is one DevTools event.
type event struct {
	session target.SessionID
	method  string
	params  json.RawMessage
}

func dial(ctx context.Context, ws string) (*client, error) {
	conn, err := chromedp.DialContext(ctx, ws)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, pending: map[int64]chan *cdproto.Message{}, events: make(chan event, 4096), closed: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *client) read() {
	defer close(c.closed)
	defer close(c.events)
	for {
		var msg cdproto.Message
		if err := c.conn.Read(context.Background(), &msg); err != nil {
			c.mu.Lock()
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		switch {
		case msg.ID != 0:
			c.mu.Lock()
			ch := c.pending[msg.ID]
			delete(c.pending, msg.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- &msg
			}
		case msg.Method != "":
			// The recorder reads events as fast as they come; a
			// full queue would only mean it stopped reading.
			c.events <- event{session: msg.SessionID, method: string(msg.Method), params: json.RawMessage(msg.Params)}
		}
	}
}

// errClosed is a command sent after the browser went away.
var errClosed = errors.New("the browser closed the DevTools connection")

// call sends a command to a session ("" is the browser) and decodes its
// result into res (when not nil).
func (c *client) call(ctx context.Context, session target.SessionID, method string, params any, res any) error {
	var buf []byte
	if params != nil {
		var err error
		if buf, err = json.Marshal(params); err != nil {
			return err
		}
	}
	id := c.next.Add(1)
	ch := make(chan *cdproto.Message, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	err := c.conn.Write(ctx, &cdproto.Message{ID: id, SessionID: session, Method: cdproto.MethodType(method), Params: buf})
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return ctx.Err()
	case msg, ok := <-ch:
		if !ok {
			return errClosed
		}
		if msg.Error != nil {
			return fmt.Errorf("%s: %w", method, msg.Error)
		}
		if res != nil && len(msg.Result) > 0 {
			return json.Unmarshal(msg.Result, res)
		}
		return nil
	}
}

func (c *client) close() { c.conn.Close() }
