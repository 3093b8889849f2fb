package httpcompat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ExtensionKey is the credential local callers sign their requests with
// (SigV4) when the Cloud Extensions API's authentication is the profile's
// "extension key": an access key id and a secret key, given to the
// function as AWS credentials. It is not an AWS credential: parsec checks
// signatures with it and never sends it anywhere. The secret key is
// redacted wherever a key is printed or logged.
type ExtensionKey struct {
	ID     string // the access key id callers sign with
	Secret string // the secret key; never printed
}

// String returns the key id with the secret redacted.
func (k ExtensionKey) String() string {
	return "ExtensionKey{ID: " + k.ID + ", Secret: [REDACTED]}"
}

// GoString is String.
func (k ExtensionKey) GoString() string { return k.String() }

// Format prints String for every verb.
func (k ExtensionKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue logs the key id only.
func (k ExtensionKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("secret", "[REDACTED]"))
}

// The reasons of a refused signature, as Cloud Extensions puts them in
// the cloudextensions-error-reason header.
const (
	reasonMissing  = "MISSING_AUTHENTICATION"
	reasonMismatch = "SIGNATURE_MISMATCH"
	reasonExpired  = "SIGNATURE_EXPIRED"
	reasonUnknown  = "UNKNOWN_ACCESS_KEY"
)

// authFailure is why a request's signature was refused: one of the
// reasons, and a sentence for the caller that names what was wrong (a
// header, the service, the time), never the secret key or the expected
// signature.
type authFailure struct {
	reason string
	detail string
}

const sigAlgorithm = "AWS4-HMAC-SHA256"

// amzDateFormat is the layout of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// verifier checks SigV4 signatures made with one extension key. It
// rebuilds the canonical request from the headers the client says it
// signed, with their received values, and has the AWS SDK's own signer
// compute the signature over it, so the canonical forms (URI escaping,
// query encoding, header folding) are the SDK's and not a copy. Safe for
// concurrent use.
type verifier struct {
	id     string
	creds  aws.Credentials // holds the secret key
	signer *v4.Signer      // canonical URI escaped once more, as every SDK does for a service other than S3
	plain  *v4.Signer      // canonical URI as sent, as curl does
	now    func() time.Time
}

func newVerifier(k ExtensionKey, now func() time.Time) *verifier {
	quiet := func(o *v4.SignerOptions) { o.LogSigning = false }
	return &verifier{
		id:     k.ID,
		creds:  aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret, Source: "parsec extension key"},
		signer: v4.NewSigner(quiet),
		plain:  v4.NewSigner(quiet, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		now:    now,
	}
}

// sigHeader is a parsed Authorization header.
type sigHeader struct {
	keyID, date, region, service string
	signedHeaders                string // as sent: lower case, ";"-separated
	signature                    string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=a;b, Signature=HEX".
func parseAuthorization(v string) (sigHeader, string) {
	var h sigHeader
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || alg != sigAlgorithm {
		return h, "the Authorization header must start with " + sigAlgorithm
	}
	var cred string
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			h.signedHeaders = val
		case "Signature":
			h.signature = val
		}
	}
	if cred == "" || h.signedHeaders == "" || h.signature == "" {
		return h, "the Authorization header needs Credential, SignedHeaders and Signature"
	}
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" || f[2] == "" {
		return h, "the Credential must be KEYID/DATE/REGION/SERVICE/aws4_request"
	}
	h.keyID, h.date, h.region, h.service = f[0], f[1], f[2], f[3]
	return h, ""
}

// verify checks r's signature for service, with body as the payload (the
// caller has bounded and read it), allowing skew between the request's
// time and the clock. It returns nil when the signature is good.
func (v *verifier) verify(ctx context.Context, r *http.Request, body []byte, service string, skew time.Duration) *authFailure {
	h, t, f := v.header(r, service, skew)
	if f != nil {
		return f
	}
	re, f := signedRequest(r, h)
	if f != nil {
		return f
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	// The body is always signed: UNSIGNED-PAYLOAD, which S3 allows, is
	// refused, so that a captured request's body cannot be replaced.
	if vals := r.Header.Values("X-Amz-Content-Sha256"); len(vals) > 0 && subtle.ConstantTimeCompare([]byte(vals[0]), []byte(payload)) != 1 {
		return &authFailure{reasonMismatch, "X-Amz-Content-Sha256 must be the SHA-256 of the body (UNSIGNED-PAYLOAD is refused)"}
	}

	if v.matches(ctx, v.signer, re, payload, h, t) {
		return nil
	}
	if strings.Contains(r.URL.EscapedPath(), "%") && v.matches(ctx, v.plain, re, payload, h, t) {
		return nil
	}
	return &authFailure{reasonMismatch, "the signature does not match: sign with the extension key's secret key, for the service " + service}
}

// header checks r's Authorization and X-Amz-Date headers: one of each,
// the extension key's id, service, a date within skew of the clock.
func (v *verifier) header(r *http.Request, service string, skew time.Duration) (sigHeader, time.Time, *authFailure) {
	auths := r.Header.Values("Authorization")
	if len(auths) == 0 {
		return sigHeader{}, time.Time{}, &authFailure{reasonMissing, "the request is not signed: sign it with SigV4 for the service " + service + " with the extension key"}
	}
	if len(auths) > 1 {
		return sigHeader{}, time.Time{}, &authFailure{reasonMismatch, "the request has more than one Authorization header"}
	}
	h, bad := parseAuthorization(auths[0])
	if bad != "" {
		return h, time.Time{}, &authFailure{reasonMismatch, bad}
	}
	if subtle.ConstantTimeCompare([]byte(h.keyID), []byte(v.id)) != 1 {
		return h, time.Time{}, &authFailure{reasonUnknown, "the request is signed with an access key id that is not the extension key's"}
	}
	if h.service != service {
		return h, time.Time{}, &authFailure{reasonMismatch, "the request is signed for the service " + quoteText(h.service) + "; this route takes " + service}
	}
	t, f := v.requestTime(r, h, skew)
	return h, t, f
}

// requestTime returns r's X-Amz-Date, which must be one, on the date of
// the Credential scope and within skew of the clock.
func (v *verifier) requestTime(r *http.Request, h sigHeader, skew time.Duration) (time.Time, *authFailure) {
	dates := r.Header.Values("X-Amz-Date")
	if len(dates) != 1 {
		return time.Time{}, &authFailure{reasonMismatch, "the request needs exactly one X-Amz-Date header"}
	}
	t, err := time.Parse(amzDateFormat, dates[0])
	if err != nil {
		return t, &authFailure{reasonMismatch, "X-Amz-Date must be in the form " + amzDateFormat}
	}
	if h.date != t.Format("20060102") {
		return t, &authFailure{reasonMismatch, "the date of the Credential scope is not the date of X-Amz-Date"}
	}
	if d := v.now().Sub(t); d > skew || d < -skew {
		return t, &authFailure{reasonExpired, fmt.Sprintf("the request time (X-Amz-Date) is %s from the server's clock; at most %s is allowed", d.Abs().Round(time.Second), skew)}
	}
	return t, nil
}

// signedRequest rebuilds r as the client signed it: only the headers h
// names, with the values it sent. The signed headers must include host and
// x-amz-date.
func signedRequest(r *http.Request, h sigHeader) (*http.Request, *authFailure) {
	signed := strings.Split(h.signedHeaders, ";")
	re := &http.Request{Method: r.Method, Host: r.Host, Header: make(http.Header, len(signed))}
	u := *r.URL
	re.URL = &u
	hasHost, hasDate := false, false
	for _, name := range signed {
		switch name {
		case "host":
			hasHost = true
			continue
		case "content-length":
			re.ContentLength = r.ContentLength
			continue
		case "x-amz-date":
			hasDate = true
		}
		vals, ok := r.Header[http.CanonicalHeaderKey(name)]
		if !ok {
			return nil, &authFailure{reasonMismatch, "the signed header " + quoteText(name) + " is not in the request"}
		}
		re.Header[http.CanonicalHeaderKey(name)] = vals
	}
	if !hasHost || !hasDate {
		return nil, &authFailure{reasonMismatch, "SignedHeaders must include host and x-amz-date"}
	}
	return re, nil
}

// matches signs a copy of re with s and reports whether the signature is
// h's, over the same signed headers. The comparison is constant-time.
func (v *verifier) matches(ctx context.Context, s *v4.Signer, re *http.Request, payload string, h sigHeader, t time.Time) bool {
	c := *re
	c.Header = re.Header.Clone()
	u := *re.URL
	c.URL = &u
	if err := s.SignHTTP(ctx, v.creds, &c, payload, h.service, h.region, t); err != nil {
		return false
	}
	got := c.Header.Get("Authorization")
	i := strings.LastIndex(got, "Signature=")
	j := strings.Index(got, "SignedHeaders=")
	if i < 0 || j < 0 {
		return false
	}
	gotHeaders, _, _ := strings.Cut(got[j+len("SignedHeaders="):], ",")
	sig := got[i+len("Signature="):]
	same := hmac.Equal([]byte(sig), []byte(h.signature))
	return same && gotHeaders == h.signedHeaders
}

// quoteText quotes a short piece of a request for a message: printable
// ASCII, at most 64 bytes.
func quoteText(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("%q", headerText(s))
}
