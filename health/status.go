package health

// Status is the state of one check or of a whole [Report].
type Status uint8

// The statuses, from best to worst. The zero value is [Unknown]: no result
// yet.
const (
	// Unknown means no result is known yet.
	Unknown Status = iota
	// Healthy means the dependency works.
	Healthy
	// Degraded means it works, but slowly or not reliably, or a
	// non-critical dependency fails: traffic is still served.
	Degraded
	// Unhealthy means it fails; for a critical check (or the overall
	// status) the instance should not receive traffic.
	Unhealthy
)

// String returns "unknown", "healthy", "degraded" or "unhealthy".
func (s Status) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case Degraded:
		return "degraded"
	case Unhealthy:
		return "unhealthy"
	}
	return "unknown"
}

// MarshalText encodes the status as [Status.String] does.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// draft-inadarei-api-health-check's name of the status.
func (s Status) healthJSON() string {
	switch s {
	case Healthy:
		return "pass"
	case Degraded:
		return "warn"
	}
	return "fail"
}

// serving reports whether an instance in this overall status should
// receive traffic.
func (s Status) serving() bool { return s == Healthy || s == Degraded }
