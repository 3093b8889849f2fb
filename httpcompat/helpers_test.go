package httpcompat

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/logbuf"
	"github.com/parsec-go/parsec/source"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "IQoJb3JpZ2luX2VjEXAMPLE-session-token/+="

// The fake upstream's values. Names under fail/ fail with the AWS code that
// follows (fail/ParameterNotFound), or with fail/timeout, fail/unreachable,
// fail/panic, fail/canceled.
const (
	apiKeyName   = "/app/environment/api-key"
	apiKeyPlain  = "api-key-plaintext-value"
	apiKeyCipher = "AQICAHiCIPHERTEXT=="
	secretName   = "app/db-secret"
	secretValue  = `{"user":"app","password":"db-secret-value"}`
	binaryName   = "app/binary-secret"
)

var lastModified = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

// upstream is a function-type fake of both services. It records the inputs
// it was called with.
type upstream struct {
	mu       sync.Mutex
	params   []ssm.GetParameterInput
	secrets  []secretsmanager.GetSecretValueInput
	canary   string            // when set, the value of the secret named "canary"
	onParam  func(name string) // called before answering, outside the lock
	onSecret func(id string)
}

func failure(name string) (error, bool) {
	code, ok := strings.CutPrefix(name, "fail/")
	if !ok {
		return nil, false
	}
	if i := strings.IndexAny(code, "/:"); i >= 0 {
		code = code[:i]
	}
	switch code {
	case "timeout":
		return context.DeadlineExceeded, true
	case "unreachable":
		return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "ssm.example"}}, true
	case "panic":
		panic("upstream exploded")
	case "canceled":
		return context.Canceled, true
	}
	return &smithy.GenericAPIError{Code: code, Message: "injected " + code + " for " + name}, true
}

func (u *upstream) clients() source.Clients {
	return source.Clients{
		Parameter: source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
			u.mu.Lock()
			u.params = append(u.params, *in)
			u.mu.Unlock()
			name := aws.ToString(in.Name)
			if u.onParam != nil {
				u.onParam(name)
			}
			if err, ok := failure(name); ok {
				return nil, err
			}
			base, selector, _ := strings.Cut(name, ":")
			p := &ssmtypes.Parameter{
				ARN:              aws.String("arn:aws:ssm:us-east-1:123456789012:parameter" + base),
				DataType:         aws.String("text"),
				LastModifiedDate: aws.Time(lastModified),
				Name:             aws.String(base),
				Type:             ssmtypes.ParameterTypeString,
				Value:            aws.String("value-of:" + base),
				Version:          1,
			}
			if selector != "" {
				p.Selector = aws.String(":" + selector)
				if n, err := strconv.ParseInt(selector, 10, 64); err == nil {
					p.Version = n
				}
			}
			if base == apiKeyName {
				p.Type = ssmtypes.ParameterTypeSecureString
				p.Value = aws.String(apiKeyCipher)
				if aws.ToBool(in.WithDecryption) {
					p.Value = aws.String(apiKeyPlain)
				}
			}
			return &ssm.GetParameterOutput{Parameter: p}, nil
		}),
		Secret: source.SecretGetterFunc(func(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
			u.mu.Lock()
			u.secrets = append(u.secrets, *in)
			u.mu.Unlock()
			id := aws.ToString(in.SecretId)
			if u.onSecret != nil {
				u.onSecret(id)
			}
			if err, ok := failure(id); ok {
				return nil, err
			}
			out := &secretsmanager.GetSecretValueOutput{
				ARN:           aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:" + id + "-AbCdEf"),
				CreatedDate:   aws.Time(lastModified),
				Name:          aws.String(id),
				SecretString:  aws.String("secret-of:" + id),
				VersionId:     aws.String("01234567-89ab-cdef-0123-456789abcdef"),
				VersionStages: []string{"AWSCURRENT"},
			}
			switch id {
			case secretName:
				out.SecretString = aws.String(secretValue)
			case binaryName:
				out.SecretString = nil
				out.SecretBinary = []byte("binary\x00secret")
			case "canary":
				out.SecretString = aws.String(u.canary)
			}
			return out, nil
		}),
	}
}

func (u *upstream) paramInputs() []ssm.GetParameterInput {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]ssm.GetParameterInput(nil), u.params...)
}

func (u *upstream) secretInputs() []secretsmanager.GetSecretValueInput {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]secretsmanager.GetSecretValueInput(nil), u.secrets...)
}

// newCache returns a cache over src without stale serving, negative caching
// or backoff, so every test sees the upstream's answer; closed at cleanup.
func newCache(t testing.TB, src source.Clients, opts ...cache.Option) *cache.Cache {
	t.Helper()
	opts = append([]cache.Option{cache.WithMaxStale(0), cache.WithNegativeTTL(0), cache.WithBackoff(0, 0), cache.WithRefreshAhead(0)}, opts...)
	c, err := cache.New(src, opts...)
	if err != nil {
		t.Fatalf("cache.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newTestHandler returns a handler over a fresh fake upstream, with the test
// token, logging at DEBUG into the returned buffer.
func newTestHandler(t testing.TB, opts ...Option) (*Handler, *upstream, *logbuf.Buffer) {
	t.Helper()
	u := &upstream{}
	logs := &logbuf.Buffer{}
	opts = append([]Option{WithToken(testToken), WithLogger(NewLogger(logs, slog.LevelDebug))}, opts...)
	h, err := NewHandler(newCache(t, u.clients()), opts...)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	return h, u, logs
}

// request builds a request as a local client sends it: Host localhost:2773
// and, unless token is "", the token header.
func request(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = "localhost:2773"
	if token != "" {
		r.Header.Set(TokenHeader, token)
	}
	return r
}

// serve runs r through h and returns the recorded response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// errorOf returns the code and message of an error reply and checks its
// shape: both headers set; with Content-Type text/plain (the default) a
// body that is not JSON (a client decoding it into the SDK's output type
// gets an error), with application/json (WithJSONErrors) the AWS error
// shape agreeing with the headers.
func errorOf(t testing.TB, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	e := errorBody{Type: w.Header().Get(ErrorTypeHeader), Message: w.Header().Get(ErrorMessageHeader)}
	if e.Type == "" || e.Message == "" {
		t.Errorf("error reply %d without %s or %s: %v", w.Code, ErrorTypeHeader, ErrorMessageHeader, w.Header())
	}
	switch ct := w.Header().Get("Content-Type"); ct {
	case "text/plain":
		if json.Valid(w.Body.Bytes()) {
			t.Errorf("plain-text error body %q is valid JSON", w.Body)
		}
	case "application/json":
		var j errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
			t.Fatalf("error body %q is not JSON: %v", w.Body.String(), err)
		}
		if j.Type != e.Type || headerText(j.Message) != e.Message {
			t.Errorf("JSON error %+v disagrees with the headers %+v", j, e)
		}
	default:
		t.Errorf("error Content-Type = %q; want text/plain or application/json", ct)
	}
	return e
}
