package sourcetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// STS is a wire-level fake of AWS STS AssumeRole (the query protocol the
// SDK's stscreds speaks), for tests of reads through a role. It answers
// every role with temporary credentials whose access key id names the
// role (see [STS.AccessKeyID]), unless [STS.Refuse] refused it: then it
// answers 403 AccessDenied with STS's message. Any other action is 400
// InvalidAction. Start it with [NewSTS]; Close it when done. Safe for
// concurrent use.
type STS struct {
	URL string // http://127.0.0.1:PORT, for sts.Options.BaseEndpoint

	srv *httptest.Server

	mu      sync.Mutex // protects refused, calls, session
	refused map[string]bool
	calls   map[string]int // AssumeRole calls by role
	session string         // the last RoleSessionName
}

// NewSTS starts an STS fake on 127.0.0.1.
func NewSTS() *STS {
	s := &STS{refused: map[string]bool{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *STS) Close() { s.srv.Close() }

// Refuse makes AssumeRole of roleARN fail with AccessDenied.
func (s *STS) Refuse(roleARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[roleARN] = true
}

// Calls returns how many AssumeRole calls named roleARN ("" for all).
func (s *STS) Calls(roleARN string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if roleARN != "" {
		return s.calls[roleARN]
	}
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// SessionName returns the RoleSessionName of the last AssumeRole call.
func (s *STS) SessionName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session
}

// AccessKeyID returns the access key id of the credentials the fake gives
// for roleARN: ASIA and 16 hex digits of the role's hash, so a test can
// tell from a request's signature which role signed it.
func AccessKeyID(roleARN string) string {
	h := sha256.Sum256([]byte(roleARN))
	return "ASIA" + strings.ToUpper(hex.EncodeToString(h[:8]))
}

// AccessKeyID is the package function [AccessKeyID].
func (s *STS) AccessKeyID(roleARN string) string { return AccessKeyID(roleARN) }

func (s *STS) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		stsError(w, http.StatusBadRequest, "InvalidQueryParameter", err.Error())
		return
	}
	form := url.Values(r.PostForm)
	if form.Get("Action") != "AssumeRole" {
		stsError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("sourcetest: action %q is not supported", form.Get("Action")))
		return
	}
	role, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	s.mu.Lock()
	s.calls[role]++
	s.session = session
	refused := s.refused[role]
	s.mu.Unlock()
	if refused {
		stsError(w, http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on resource: "+role)
		return
	}
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
		`<AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROA0000:%s</AssumedRoleId></AssumedRoleUser>`+
		`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials>`+
		`</AssumeRoleResult><ResponseMetadata><RequestId>sourcetest</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		html.EscapeString(role), html.EscapeString(session), html.EscapeString(session), AccessKeyID(role), exp)
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>sourcetest</RequestId></ErrorResponse>`,
		html.EscapeString(code), html.EscapeString(msg))
}
