package health

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/chainsync/middleware/internal/problem"
)

// Media types of the response bodies.
const (
	// ContentTypeJSON is the media type of ChainSync's format.
	ContentTypeJSON = "application/json"
	// ContentTypeHealthJSON is the media type of
	// draft-inadarei-api-health-check.
	ContentTypeHealthJSON = "application/health+json"
)

type kind uint8

const (
	kindReady kind = iota
	kindHealth
	kindLive
)

// body is one encoded response.
type body struct {
	data   []byte
	length []string // Content-Length header value
	status int
}

func newBody(data []byte, status int) *body {
	return &body{data: data, length: []string{strconv.Itoa(len(data))}, status: status}
}

// headerValues are the constant header values, shared by every response
// so that a cached answer sets its headers without allocating.
type headerValues struct {
	contentType [2][]string // by Format
	noStore     []string
	nosniff     []string
	vary        []string
	live        [2]*body // FormatHealthJSON's live body is constant; [0] unused
}

func newHeaderValues() headerValues {
	return headerValues{
		contentType: [2][]string{{ContentTypeJSON}, {ContentTypeHealthJSON}},
		noStore:     []string{"no-store"},
		nosniff:     []string{"nosniff"},
		vary:        []string{"Accept"},
	}
}

// LiveHandler answers liveness probes: 200 with {"status":"alive",
// "timestamp":...} (or {"status":"pass"} in application/health+json)
// whenever the process serves HTTP. It checks no dependency and ignores
// draining: an outage of a database must not get every instance
// restarted.
func (c *Checker) LiveHandler() http.Handler { return handler{c, kindLive} }

// ReadyHandler answers readiness probes: 200 when the overall status is
// healthy or degraded, 503 when it is unhealthy or the Checker is
// draining (then at once, without running any check), with only the
// overall status in the body ({"status":"healthy","timestamp":...}). The timestamp is when the
// results were assembled: a cached answer keeps the time of its results.
// A cached answer is sent without allocating.
func (c *Checker) ReadyHandler() http.Handler { return handler{c, kindReady} }

// HealthHandler answers like [Checker.ReadyHandler] with every check's
// result in the body: service, status, responseTime in milliseconds and,
// for failures, details (see [Options.ExposeErrors]).
func (c *Checker) HealthHandler() http.Handler { return handler{c, kindHealth} }

// Mux is what [Checker.Register] registers on: *http.ServeMux, and most
// routers' Handle method.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Register mounts the handlers on mux at prefix+"/live", prefix+"/ready"
// and prefix+"/health". A prefix without a leading slash gets one; a
// trailing slash is dropped; "" mounts them at the root.
func (c *Checker) Register(mux Mux, prefix string) {
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" && prefix[0] != '/' {
		prefix = "/" + prefix
	}
	mux.Handle(prefix+"/live", c.LiveHandler())
	mux.Handle(prefix+"/ready", c.ReadyHandler())
	mux.Handle(prefix+"/health", c.HealthHandler())
}

type handler struct {
	c    *Checker
	kind kind
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.c
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		c.reject(w, r)
		return
	}
	f := negotiate(r.Header["Accept"], c.opts.Format)
	var b *body
	switch {
	case h.kind == kindLive:
		b = c.liveBody(f)
	case h.kind == kindReady && c.draining.Load():
		// 503 whatever the checks say: no need to run them.
		b = c.encode(&snapshot{report: Report{Time: c.now()}}, kindReady, f, true)
	case c.draining.Load():
		s := c.snapshot(r.Context())
		b = c.encode(s, h.kind, f, true)
	default:
		s := c.snapshot(r.Context())
		p := &s.bodies[h.kind][f]
		if b = p.Load(); b == nil {
			b = c.encode(s, h.kind, f, false)
			p.Store(b)
		}
	}
	hd := w.Header()
	hd["Content-Type"] = c.headers.contentType[f]
	hd["Content-Length"] = b.length
	hd["Cache-Control"] = c.headers.noStore
	hd["X-Content-Type-Options"] = c.headers.nosniff
	if v := hd["Vary"]; len(v) == 0 {
		hd["Vary"] = c.headers.vary
	} else if !varies(v) {
		// Keep what a middleware in front (CORS: Vary: Origin) set; the
		// full slice expression keeps its backing array untouched.
		hd["Vary"] = append(v[:len(v):len(v)], "Accept")
	}
	w.WriteHeader(b.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.data)
	}
}

// varies reports whether the Vary values already cover Accept (or "*").
func varies(values []string) bool {
	for _, v := range values {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			tok = strings.TrimSpace(tok)
			if tok == "*" || strings.EqualFold(tok, "Accept") {
				return true
			}
		}
	}
	return false
}

func (c *Checker) reject(w http.ResponseWriter, r *http.Request) {
	if c.opts.ErrorHandler != nil {
		c.opts.ErrorHandler(w, r, ErrMethodNotAllowed)
		return
	}
	w.Header().Set("Allow", "GET, HEAD")
	problem.Write(w, r, problem.New(http.StatusMethodNotAllowed, "Method not allowed"))
}

func (c *Checker) liveBody(f Format) *body {
	if f == FormatHealthJSON {
		if b := c.headers.live[f]; b != nil {
			return b
		}
	}
	b := make([]byte, 0, 128)
	if f == FormatHealthJSON {
		b = append(b, `{"status":"pass"`...)
		b = c.appendServiceMembers(b)
		b = append(b, '}')
		return newBody(b, http.StatusOK)
	}
	b = append(b, `{"status":"alive","timestamp":"`...)
	b = appendTime(b, c.now())
	b = append(b, `"}`...)
	return newBody(b, http.StatusOK)
}

// encode renders a snapshot.
func (c *Checker) encode(s *snapshot, k kind, f Format, draining bool) *body {
	rep := &s.report
	status := http.StatusOK
	if draining || !rep.Status.serving() {
		status = http.StatusServiceUnavailable
	}
	b := make([]byte, 0, 96+len(rep.Checks)*128)
	if f == FormatHealthJSON {
		b = append(b, `{"status":"`...)
		if draining {
			b = append(b, "fail"...)
		} else {
			b = append(b, rep.Status.healthJSON()...)
		}
		b = append(b, '"')
		b = c.appendServiceMembers(b)
		if draining {
			b = append(b, `,"output":"draining"`...)
		}
		if k == kindHealth {
			b = append(b, `,"checks":{`...)
			for i, res := range rep.Checks {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, res.Name+":responseTime")
				b = append(b, `:[{"status":"`...)
				b = append(b, res.Status.healthJSON()...)
				b = append(b, `","observedValue":`...)
				b = appendMillis(b, res)
				b = append(b, `,"observedUnit":"ms","time":"`...)
				b = appendTime(b, res.Time)
				b = append(b, '"')
				if d := c.details(res); d != "" {
					b = append(b, `,"output":`...)
					b = appendString(b, d)
				}
				b = append(b, "}]"...)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
		return newBody(b, status)
	}
	b = append(b, `{"status":"`...)
	if draining {
		b = append(b, `unhealthy","draining":true`...)
	} else {
		b = append(b, rep.Status.String()...)
		b = append(b, '"')
	}
	b = append(b, `,"timestamp":"`...)
	b = appendTime(b, rep.Time)
	b = append(b, '"')
	if k == kindHealth {
		b = append(b, `,"checks":[`...)
		for i, res := range rep.Checks {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"service":`...)
			b = appendString(b, res.Name)
			b = append(b, `,"status":"`...)
			b = append(b, res.Status.String()...)
			b = append(b, `","responseTime":`...)
			b = appendMillis(b, res)
			if d := c.details(res); d != "" {
				b = append(b, `,"details":`...)
				b = appendString(b, d)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	return newBody(b, status)
}

func (c *Checker) appendServiceMembers(b []byte) []byte {
	for _, m := range [...]struct{ name, value string }{
		{"version", c.opts.Version}, {"releaseId", c.opts.ReleaseID},
		{"serviceId", c.opts.ServiceID}, {"description", c.opts.Description},
	} {
		if m.value != "" {
			b = append(b, ',', '"')
			b = append(b, m.name...)
			b = append(b, '"', ':')
			b = appendString(b, m.value)
		}
	}
	return b
}
