package httpcompat

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// keyRecorder is an HTTP client that records the access key that signed
// each Secrets Manager and SSM request.
type keyRecorder struct {
	next aws.HTTPClient
	mu   sync.Mutex // protects keys
	keys []string
}

var accessKeyRE = regexp.MustCompile(`Credential=([^/]+)/\d{8}/[^/]+/(secretsmanager|ssm)/`)

func (k *keyRecorder) Do(r *http.Request) (*http.Response, error) {
	if m := accessKeyRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		k.mu.Lock()
		k.keys = append(k.keys, m[1])
		k.mu.Unlock()
	}
	return k.next.Do(r)
}

func (k *keyRecorder) signed() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.keys...)
}

// roleArn= on the routes reads through the role (a key of its own, the
// role's credentials signing the call); a refused role is a 400 with
// STS's code and words; a malformed one a 400 naming roleArn, with no call.
func TestHandlerRoleArn(t *testing.T) {
	up := sourcetest.NewServer()
	t.Cleanup(up.Close)
	fake := sourcetest.NewSTS()
	t.Cleanup(fake.Close)
	if _, err := up.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("pw")}); err != nil {
		t.Fatal(err)
	}
	if _, err := up.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "x"}); err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::222222222222:role/reader"
	const refused = "arn:aws:iam::222222222222:role/nobody"
	fake.Refuse(refused)
	rec := &keyRecorder{next: up.Config().HTTPClient}
	cfg := up.Config()
	cfg.HTTPClient = rec
	src := source.New(cfg, source.WithSTSOptions(func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) }))
	h, err := NewHandler(newCache(t, src), WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	q := "&roleArn=" + url.QueryEscape(role)
	for _, target := range []string{
		"/secretsmanager/get?secretId=db" + q,
		"/secretsmanager/get?secretId=db" + q, // a hit
		"/secretsmanager/get?secretId=db",     // the function's own credentials: an entry of its own
		"/systemsmanager/parameters/get?name=%2Fapp%2Fx" + q,
		"/parsec/v1/parameters?name=%2Fapp%2Fx&name=%2Fapp%2Fy" + q,
	} {
		w := serve(h, request(http.MethodGet, target, testToken))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s %v; want 200", target, w.Code, w.Body, w.Header())
		}
		if strings.Contains(target, "secretId") {
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["SecretString"] != "pw" {
				t.Fatalf("GET %s body = %s", target, w.Body)
			}
		}
	}
	roleKey := sourcetest.AccessKeyID(role)
	want := []string{roleKey, "testing", roleKey, roleKey}
	if got := rec.signed(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("requests signed by %q; want %q", got, want)
	}
	if fake.Calls(role) != 1 || fake.SessionName() != source.RoleSessionName {
		t.Errorf("AssumeRole calls = %d, session %q; want 1, %q", fake.Calls(role), fake.SessionName(), source.RoleSessionName)
	}

	before := len(rec.signed())
	w := serve(h, request(http.MethodGet, "/secretsmanager/get?secretId=db&roleArn="+url.QueryEscape(refused), testToken))
	e := errorOf(t, w)
	if w.Code != http.StatusBadRequest || e.Type != "AccessDenied" || !strings.Contains(e.Message, "sts:AssumeRole") || !strings.Contains(e.Message, refused) {
		t.Errorf("refused role = %d %+v; want 400 AccessDenied with STS's words", w.Code, e)
	}
	w = serve(h, request(http.MethodGet, "/secretsmanager/get?secretId=db&roleArn=reader", testToken))
	e = errorOf(t, w)
	if w.Code != http.StatusBadRequest || e.Type != "ValidationException" || !strings.Contains(e.Message, "roleArn") {
		t.Errorf("malformed role = %d %+v; want 400 naming roleArn", w.Code, e)
	}
	if n := len(rec.signed()) - before; n != 0 {
		t.Errorf("upstream calls for refused and malformed roles = %d; want 0", n)
	}
}
