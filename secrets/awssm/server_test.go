package awssm_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// smServer is a local HTTP server speaking the part of the AWS Secrets
// Manager JSON wire protocol (awsJson1.1) the provider uses:
// POST / with X-Amz-Target: secretsmanager.GetSecretValue, a SigV4
// Authorization header and a JSON body {"SecretId": ...}.
type smServer struct {
	*httptest.Server
	t testing.TB

	mu        sync.Mutex
	strings   map[string]string
	binaries  map[string][]byte
	throttle  int  // answer the next n requests with ThrottlingException
	fail      bool // answer every request with InternalServiceError (500)
	requests  map[string]int
	lastStage string
}

func newSMServer(t testing.TB) *smServer {
	s := &smServer{t: t, strings: map[string]string{}, binaries: map[string][]byte{}, requests: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *smServer) put(id, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.strings[id] = value
}

func (s *smServer) setThrottle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

func (s *smServer) setFail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

func (s *smServer) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[id]
}

func (s *smServer) awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}

func (s *smServer) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		s.t.Errorf("request %s %s", r.Method, r.URL.Path)
	case r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue":
		s.t.Errorf("X-Amz-Target %q", r.Header.Get("X-Amz-Target"))
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		s.t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	case !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/secretsmanager/aws4_request"):
		s.t.Errorf("Authorization %q is not SigV4 for secretsmanager", auth)
	default:
		s.getSecretValue(w, r)
		return
	}
	s.awsError(w, http.StatusBadRequest, "InvalidRequestException", "bad request")
}

func (s *smServer) getSecretValue(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionStage string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.SecretID == "" {
		s.awsError(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	s.mu.Lock()
	s.requests[in.SecretID]++
	s.lastStage = in.VersionStage
	throttled := s.throttle > 0
	if throttled {
		s.throttle--
	}
	fail := s.fail
	str, isString := s.strings[in.SecretID]
	bin, isBinary := s.binaries[in.SecretID]
	s.mu.Unlock()
	switch {
	case throttled:
		s.awsError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	case fail:
		s.awsError(w, http.StatusInternalServerError, "InternalServiceError", "internal failure")
		return
	case !isString && !isBinary:
		s.awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	out := map[string]any{
		"ARN":           "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + in.SecretID + "-AbCdEf",
		"Name":          in.SecretID,
		"VersionId":     "01234567-89ab-cdef-0123-456789abcdef",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   1.7649e9,
	}
	if isString {
		out["SecretString"] = str
	} else {
		out["SecretBinary"] = bin // []byte marshals as base64, as the protocol wants
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}
