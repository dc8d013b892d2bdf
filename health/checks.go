package health

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"time"
)

// Pinger is what [SQL] checks: *sql.DB and *sql.Conn, and any other
// client with a PingContext method.
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Querier is what [SQLQuery] checks: *sql.DB, *sql.Conn and *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// SQL returns a check function that pings db. With database/sql a ping
// takes a pooled connection (dialling a new one when the pooled ones are
// broken), so it fails as soon as the server is down. It returns nil for a
// nil db (also a nil *sql.DB), which [New] rejects.
//
// A pgxpool.Pool needs no helper: its Ping method is a check function
// (Check: pool.Ping).
func SQL(db Pinger) func(ctx context.Context) error {
	if isNil(db) {
		return nil
	}
	return db.PingContext
}

// SQLQuery returns a check function that runs query (such as "SELECT 1")
// on db and reads all its rows: it also proves the database answers
// queries, not just connections. It returns nil for a nil db (also a nil
// *sql.DB) or an empty query, which [New] rejects.
func SQLQuery(db Querier, query string) func(ctx context.Context) error {
	if isNil(db) || query == "" {
		return nil
	}
	return func(ctx context.Context) error {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return rows.Err()
	}
}

// isNil reports whether v is nil or a nil pointer, map, func, channel or
// slice in an interface (a method of which would panic at every probe).
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// HTTPOptions configure an [HTTP] check. The zero value sends a GET with
// its own client that does not follow redirects.
type HTTPOptions struct {
	// Client sends the request. Default: a client on
	// http.DefaultTransport that does not follow redirects (a redirect to a
	// login page is not a healthy answer: 3xx is unhealthy).
	Client *http.Client
	// Method is GET or HEAD. Default GET.
	Method string
	// Header is added to the request (an API key; a "Host" entry sets the
	// request's Host). Default none.
	Header http.Header
	// Timeout, when positive, bounds each request in addition to the
	// check's own timeout. Default 0: the check's timeout alone.
	Timeout time.Duration
}

// StatusError is the error of an [HTTP] check answered with a status
// outside 2xx.
type StatusError struct {
	// URL is the checked URL without credentials, query or fragment.
	URL string
	// StatusCode is the status received.
	StatusCode int
}

// Error names the URL (without secrets) and the status received.
func (e *StatusError) Error() string {
	return fmt.Sprintf("health: %s answered %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// HTTP returns a check function that requests rawURL and treats any 2xx
// answer as healthy. The response body is read (at most 64 KiB) and
// discarded so the connection is reused. Errors name the URL without its
// credentials, query or fragment, which may hold secrets. It fails when
// rawURL is not an absolute http or https URL or the method is not GET or
// HEAD.
func HTTP(rawURL string, opts HTTPOptions) (func(ctx context.Context) error, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: HTTP check URL does not parse", ErrConfig) // the URL itself may hold a secret
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: HTTP check URL must be absolute http or https", ErrConfig)
	}
	method := opts.Method
	switch method {
	case "":
		method = http.MethodGet
	case http.MethodGet, http.MethodHead:
	default:
		return nil, fmt.Errorf("%w: HTTP check method %q is not GET or HEAD", ErrConfig, method)
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	safe := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
	header := opts.Header.Clone()
	return func(ctx context.Context) error {
		if opts.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
		if err != nil {
			return fmt.Errorf("health: %s %s: %w", method, safe, err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if h := header.Get("Host"); h != "" {
			req.Host = h
		}
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its message repeats the full URL
			}
			return fmt.Errorf("health: %s %s: %w", method, safe, err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return &StatusError{URL: safe, StatusCode: resp.StatusCode}
		}
		return nil
	}, nil
}

// MustHTTP is like [HTTP] but panics on error; for set-up code with a
// constant URL.
func MustHTTP(rawURL string, opts HTTPOptions) func(ctx context.Context) error {
	fn, err := HTTP(rawURL, opts)
	if err != nil {
		panic(err)
	}
	return fn
}
