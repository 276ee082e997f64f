// Package download is an HTTP GET that must keep moving: when no byte
// arrives for the stall limit (before the headers or in the body), the
// request is cancelled and fails with a *StallError naming the URL,
// instead of hanging a build. It imports no project package.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// DefaultStall is the stall limit when none is given.
const DefaultStall = 60 * time.Second

// StallError is a download that received nothing for Stall.
type StallError struct {
	URL   string
	Stall time.Duration
	Bytes int64 // of the body, before it stalled
}

func (e *StallError) Error() string {
	if e.Bytes == 0 {
		return fmt.Sprintf("%s: no answer for %s (the download stalled; FROMSCRATCH_STALL_TIMEOUT sets the limit)", e.URL, e.Stall)
	}
	return fmt.Sprintf("%s: no data for %s after %d bytes (the download stalled; FROMSCRATCH_STALL_TIMEOUT sets the limit)", e.URL, e.Stall, e.Bytes)
}

// Get starts a GET of url with client (nil: http.DefaultClient) and
// returns its response, whose Body fails with a *StallError when no byte
// arrives for stall (<= 0: DefaultStall); Get itself fails so when the
// headers do not come in time. The caller closes the Body.
func Get(ctx context.Context, client *http.Client, url string, stall time.Duration) (*http.Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if stall <= 0 {
		stall = DefaultStall
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watch{url: url, stall: stall, cancel: cancel}
	w.timer = time.AfterFunc(stall, w.fire)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err == nil {
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			resp.Body = &body{ReadCloser: resp.Body, ctx: ctx, w: w}
			return resp, nil
		}
	}
	w.timer.Stop()
	cancel(nil)
	if se, ok := errors.AsType[*StallError](context.Cause(ctx)); ok {
		return nil, se
	}
	return nil, err
}

// watch cancels a request that stalls.
type watch struct {
	url    string
	stall  time.Duration
	cancel context.CancelCauseFunc
	timer  *time.Timer
	bytes  atomic.Int64
}

func (w *watch) fire() {
	w.cancel(&StallError{URL: w.url, Stall: w.stall, Bytes: w.bytes.Load()})
}

// body restarts the watch at every byte and turns the cancellation of a
// stall into its *StallError.
type body struct {
	io.ReadCloser
	ctx context.Context
	w   *watch
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.bytes.Add(int64(n))
		b.w.timer.Reset(b.w.stall)
	}
	if err != nil && err != io.EOF {
		if se, ok := errors.AsType[*StallError](context.Cause(b.ctx)); ok {
			return n, se
		}
	}
	return n, err
}

func (b *body) Close() error {
	b.w.timer.Stop()
	err := b.ReadCloser.Close()
	b.w.cancel(nil)
	return err
}
