package httpcompat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/logbuf"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

const cloudGoldenFile = "testdata/cloudext-golden.json"

// goldenNow is the clock of the golden cases: requests are signed at it.
var goldenNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// goldenReply is what the golden file holds for one case.
type goldenReply struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// cloudRequest builds a request as a local client sends it, signed with
// key for service at goldenNow (unsigned when key.ID is "").
func cloudRequest(t testing.TB, method, target, body string, hdr map[string]string, key ExtensionKey, service string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, "http://localhost:5333"+target, strings.NewReader(body))
	r.Host = "localhost:5333"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if key.ID != "" {
		sum := sha256.Sum256([]byte(body))
		s := v4.NewSigner()
		c := r.Clone(context.Background())
		c.Body = nil
		err := s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}, c,
			hex.EncodeToString(sum[:]), service, "us-east-1", goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		r.Header = c.Header
	}
	return r
}

func ssmCall(op, body string) (string, string, map[string]string) {
	return http.MethodPost, body, map[string]string{"X-Amz-Target": "AmazonSSM." + op, "Content-Type": json11ContentType}
}

type goldenCase struct {
	name    string
	method  string
	target  string
	body    string
	hdr     map[string]string
	key     ExtensionKey
	service string
}

func goldenCases() []goldenCase {
	ps := func(name, op, body string) goldenCase {
		m, b, h := ssmCall(op, body)
		return goldenCase{name, m, "/parameterstore", b, h, testKey, "ssm"}
	}
	sm := func(name, target string, hdr map[string]string) goldenCase {
		return goldenCase{name, http.MethodGet, target, "", hdr, testKey, "secretsmanager"}
	}
	wrong := ExtensionKey{ID: testKey.ID, Secret: "wrong"}
	other := ExtensionKey{ID: "AKIDOTHER", Secret: testKey.Secret}
	cases := []goldenCase{
		ps("ps-get-parameter", "GetParameter", `{"Name":"/app/plain"}`),
		ps("ps-get-parameter-secure-decrypted", "GetParameter", `{"Name":"`+apiKeyName+`","WithDecryption":true}`),
		ps("ps-get-parameter-secure-raw", "GetParameter", `{"Name":"`+apiKeyName+`"}`),
		ps("ps-get-parameter-selector", "GetParameter", `{"Name":"/app/plain:3"}`),
		ps("ps-get-parameter-not-found", "GetParameter", `{"Name":"fail/ParameterNotFound"}`),
		ps("ps-get-parameter-version-not-found", "GetParameter", `{"Name":"fail/ParameterVersionNotFound:9"}`),
		ps("ps-get-parameter-access-denied", "GetParameter", `{"Name":"fail/AccessDeniedException"}`),
		ps("ps-get-parameter-throttled", "GetParameter", `{"Name":"fail/ThrottlingException"}`),
		ps("ps-get-parameter-unavailable", "GetParameter", `{"Name":"fail/unreachable"}`),
		ps("ps-get-parameter-no-name", "GetParameter", `{}`),
		ps("ps-get-parameter-empty-name", "GetParameter", `{"Name":""}`),
		ps("ps-get-parameter-long-name", "GetParameter", `{"Name":"/`+strings.Repeat("a", 2048)+`"}`),
		ps("ps-get-parameter-decryption-not-boolean", "GetParameter", `{"Name":"/app/plain","WithDecryption":"yes"}`),
		ps("ps-get-parameter-not-json", "GetParameter", `Name=/app/plain`),
		ps("ps-get-parameters", "GetParameters", `{"Names":["/app/plain","fail/ParameterNotFound","`+apiKeyName+`"],"WithDecryption":true}`),
		ps("ps-get-parameters-none", "GetParameters", `{"Names":[]}`),
		ps("ps-get-parameters-eleven", "GetParameters", `{"Names":["a","b","c","d","e","f","g","h","i","j","k"]}`),
		ps("ps-get-parameters-access-denied", "GetParameters", `{"Names":["/app/plain","fail/AccessDeniedException"]}`),
		ps("ps-unserved-operation", "PutParameter", `{"Name":"/app/plain","Value":"x"}`),
		{"ps-missing-authentication", http.MethodPost, "/parameterstore", `{"Name":"/app/plain"}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter"}, ExtensionKey{}, ""},
		{"ps-signature-mismatch", http.MethodPost, "/parameterstore", `{"Name":"/app/plain"}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter"}, wrong, "ssm"},
		{"ps-unknown-access-key", http.MethodPost, "/parameterstore", `{"Name":"/app/plain"}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter"}, other, "ssm"},
		{"ps-wrong-service", http.MethodPost, "/parameterstore", `{"Name":"/app/plain"}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter"}, testKey, "secretsmanager"},
		{"ps-forwarded", http.MethodPost, "/parameterstore/", `{"Name":"/app/plain"}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter", "X-Forwarded-For": "10.0.0.1"}, testKey, "ssm"},
		sm("sm-query", "/secretsmanager/get?secretId="+secretName, nil),
		sm("sm-path", "/secretsmanager/"+secretName, nil),
		sm("sm-path-encoded-slash", "/secretsmanager/app%2Fdb-secret", nil),
		sm("sm-path-named-get-by-query", "/secretsmanager/get?secretId=get", nil),
		sm("sm-query-no-secret-id", "/secretsmanager/get", nil),
		sm("sm-role-arn", "/secretsmanager/get?secretId=x&roleArn=arn:aws:iam::123456789012:role/r", nil),
		sm("sm-not-found", "/secretsmanager/fail/ResourceNotFoundException", nil),
		sm("sm-unreachable", "/secretsmanager/fail/unreachable", nil),
		sm("sm-throttled", "/secretsmanager/fail/ThrottlingException", nil),
		sm("sm-upstream-5xx", "/secretsmanager/fail/InternalServiceError", nil),
		sm("sm-forwarded", "/secretsmanager/"+secretName, map[string]string{"X-Forwarded-For": "10.0.0.1"}),
		sm("sm-vault", "/v1/"+secretName, nil),
		{"sm-missing-authentication", http.MethodGet, "/secretsmanager/" + secretName, "", nil, ExtensionKey{}, ""},
		{"sm-signature-mismatch", http.MethodGet, "/secretsmanager/" + secretName, "", nil, wrong, "secretsmanager"},
		{"sm-unknown-access-key", http.MethodGet, "/secretsmanager/" + secretName, "", nil, other, "secretsmanager"},
		{"sm-json-get-secret-value", http.MethodPost, "/secretsmanager", `{"SecretId":"` + secretName + `"}`, map[string]string{"X-Amz-Target": "secretsmanager.GetSecretValue", "Content-Type": json11ContentType}, testKey, "secretsmanager"},
		{"sm-json-not-found", http.MethodPost, "/secretsmanager", `{"SecretId":"fail/ResourceNotFoundException"}`, map[string]string{"X-Amz-Target": "secretsmanager.GetSecretValue", "Content-Type": json11ContentType}, testKey, "secretsmanager"},
		{"sm-json-batch", http.MethodPost, "/secretsmanager", `{"SecretIdList":["` + secretName + `","fail/ResourceNotFoundException"]}`, map[string]string{"X-Amz-Target": "secretsmanager.BatchGetSecretValue", "Content-Type": json11ContentType}, testKey, "secretsmanager"},
		{"not-found-route", http.MethodGet, "/systemsmanager/parameters/get?name=x", "", nil, testKey, "ssm"},
	}
	return cases
}

// TestCloudGolden holds the bytes of every route's answers and errors in
// testdata/cloudext-golden.json (go test -run TestCloudGolden -update
// rewrites it), and checks them against the contract's examples.
func TestCloudGolden(t *testing.T) {
	u := &upstream{}
	logs := &logbuf.Buffer{}
	h, err := NewCloudExtensions(newCache(t, u.clients(), cache.WithLogger(NewLogger(logs, slog.LevelDebug))), WithExtensionKey(testKey),
		withCloudClock(func() time.Time { return goldenNow }), WithCloudLogger(NewLogger(logs, slog.LevelDebug)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]goldenReply{}
	for _, c := range goldenCases() {
		w := serve(h, cloudRequest(t, c.method, c.target, c.body, c.hdr, c.key, c.service))
		hd := map[string]string{}
		for _, k := range []string{"Content-Type", ErrorTypeHeader, ErrorReasonHeader, "Retry-After"} {
			if v := w.Header().Get(k); v != "" {
				hd[k] = v
			}
		}
		got[c.name] = goldenReply{Status: w.Code, Headers: hd, Body: w.Body.String()}
	}
	if *updateGolden {
		names := make([]string, 0, len(got))
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cloudGoldenFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(cloudGoldenFile)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCloudGolden -update to write it)", err)
	}
	var want map[string]goldenReply
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name, g := range got {
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: not in %s (run with -update)", name, cloudGoldenFile)
			continue
		}
		if g.Status != w.Status || g.Body != w.Body || !equalMaps(g.Headers, w.Headers) {
			t.Errorf("%s = %d %v %q; want %d %v %q", name, g.Status, g.Headers, g.Body, w.Status, w.Headers, w.Body)
		}
	}
	if len(want) != len(got) {
		t.Errorf("%s has %d cases; the test has %d (run with -update)", cloudGoldenFile, len(want), len(got))
	}

	// The contract's examples, byte for byte.
	contract := []struct {
		name   string
		status int
		hdr    map[string]string
		body   string
	}{
		{"ps-get-parameter-not-found", 400, map[string]string{"Content-Type": "application/x-amz-json-1.1", ErrorTypeHeader: "ParameterNotFound"},
			`{"__type":"ParameterNotFound","message":"service returned ParameterNotFound"}`},
		{"ps-unserved-operation", 400, map[string]string{"Content-Type": "application/x-amz-json-1.1", ErrorTypeHeader: "ValidationException"},
			`{"__type":"ValidationException","Message":"No operation matches the request"}`},
		{"ps-missing-authentication", 400, map[string]string{ErrorTypeHeader: "AccessDeniedException", ErrorReasonHeader: "MISSING_AUTHENTICATION"}, ""},
		{"ps-signature-mismatch", 400, map[string]string{ErrorTypeHeader: "AccessDeniedException", ErrorReasonHeader: "SIGNATURE_MISMATCH"}, ""},
		{"ps-get-parameters", 200, nil, ""},
		{"sm-missing-authentication", 401, map[string]string{ErrorTypeHeader: "MissingAuthenticationToken"}, ""},
		{"sm-signature-mismatch", 403, map[string]string{ErrorTypeHeader: "SignatureDoesNotMatch"}, ""},
		{"sm-unknown-access-key", 403, map[string]string{ErrorTypeHeader: "InvalidClientTokenId"}, ""},
		{"sm-forwarded", 400, map[string]string{ErrorTypeHeader: "BadRequestException"}, ""},
		{"sm-query-no-secret-id", 400, map[string]string{ErrorTypeHeader: "BadRequestException"}, ""},
		{"sm-unreachable", 502, map[string]string{ErrorTypeHeader: "ConnectionError"}, ""},
		{"sm-upstream-5xx", 502, map[string]string{ErrorTypeHeader: "BadGatewayException"}, ""},
		{"sm-throttled", 429, map[string]string{ErrorTypeHeader: "ThrottlingException", "Retry-After": "1"}, ""},
	}
	for _, c := range contract {
		g := got[c.name]
		if g.Status != c.status {
			t.Errorf("%s: status %d; want %d", c.name, g.Status, c.status)
		}
		for k, v := range c.hdr {
			if g.Headers[k] != v {
				t.Errorf("%s: %s = %q; want %q", c.name, k, g.Headers[k], v)
			}
		}
		if c.body != "" && g.Body != c.body {
			t.Errorf("%s: body %q; want %q", c.name, g.Body, c.body)
		}
		if strings.HasPrefix(c.name, "sm-") && c.status != 200 {
			var m map[string]string
			if err := json.Unmarshal([]byte(g.Body), &m); err != nil || len(m) != 1 || m["message"] == "" {
				t.Errorf("%s: body %q; want {\"message\": …} only", c.name, g.Body)
			}
		}
	}
	var gp struct {
		InvalidParameters []string
		Parameters        []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(got["ps-get-parameters"].Body), &gp); err != nil || len(gp.Parameters) != 2 || len(gp.InvalidParameters) != 1 {
		t.Errorf("GetParameters with a missing name = %s; want two parameters and the name in InvalidParameters", got["ps-get-parameters"].Body)
	}
	for name, g := range got {
		if strings.Contains(g.Body, testKey.Secret) {
			t.Errorf("%s: the body holds the secret key", name)
		}
	}
	// Canaries: the logs, at DEBUG, hold names and codes, never the key or
	// a value.
	if !strings.Contains(logs.String(), "AccessDeniedException") {
		t.Errorf("the logs do not name the refusals: %s", logs)
	}
	for _, canary := range []string{testKey.Secret, apiKeyPlain, apiKeyCipher, "db-secret-value", "value-of:"} {
		if strings.Contains(logs.String(), canary) {
			t.Errorf("the logs hold %q", canary)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
