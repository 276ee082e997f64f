package download_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/download"
)

// stallServer serves /headers (never answers), /body (headers and 5
// bytes, then nothing) and /slow (a byte every 20 ms, 20 in all: longer
// than the stall limit, never stalled); the
// stalled handlers wait for the client to give up.
func stallServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/headers":
			<-r.Context().Done()
		case "/body":
			w.Write([]byte("12345"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/slow":
			for range 20 {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStall(t *testing.T) {
	srv := stallServer(t)
	const stall = 200 * time.Millisecond
	t.Run("before the headers", func(t *testing.T) {
		start := time.Now()
		_, err := download.Get(t.Context(), srv.Client(), srv.URL+"/headers", stall)
		var se *download.StallError
		if !errors.As(err, &se) || se.URL != srv.URL+"/headers" || !strings.Contains(err.Error(), "no answer for 200ms") {
			t.Fatalf("error = %v, want a *StallError naming the URL", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("gave up after %s", d)
		}
	})
	t.Run("after the headers", func(t *testing.T) {
		resp, err := download.Get(t.Context(), srv.Client(), srv.URL+"/body", stall)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		var se *download.StallError
		if !errors.As(err, &se) || string(data) != "12345" || se.Bytes != 5 ||
			!strings.Contains(err.Error(), srv.URL+"/body: no data for 200ms after 5 bytes") {
			t.Fatalf("read %q, error = %v, want a *StallError after 5 bytes", data, err)
		}
	})
	t.Run("slow but moving", func(t *testing.T) {
		resp, err := download.Get(t.Context(), srv.Client(), srv.URL+"/slow", stall)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if data, err := io.ReadAll(resp.Body); err != nil || string(data) != strings.Repeat("x", 20) {
			t.Fatalf("read %q, %v", data, err)
		}
	})
}
