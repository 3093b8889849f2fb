package httpcompat

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Cloud Extensions' Secrets Manager routes take roleArn, as Cloud
// Extensions does: the read goes through the role (its own entry), and a
// role STS refuses is Cloud Extensions' 400 with STS's code.
func TestCloudExtensionsRoleArn(t *testing.T) {
	up := sourcetest.NewServer()
	t.Cleanup(up.Close)
	fake := sourcetest.NewSTS()
	t.Cleanup(fake.Close)
	if _, err := up.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("pw")}); err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::222222222222:role/reader"
	const refused = "arn:aws:iam::222222222222:role/nobody"
	fake.Refuse(refused)
	rec := &keyRecorder{next: up.Config().HTTPClient}
	cfg := up.Config()
	cfg.HTTPClient = rec
	src := source.New(cfg, source.WithSTSOptions(func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) }))
	h, err := NewCloudExtensions(newCache(t, src), WithExtensionKey(testKey), withCloudClock(func() time.Time { return goldenNow }))
	if err != nil {
		t.Fatal(err)
	}
	q := "roleArn=" + url.QueryEscape(role)
	for _, target := range []string{"/secretsmanager/get?secretId=db&" + q, "/secretsmanager/db?" + q, "/v1/db?" + q} {
		w := serve(h, cloudRequest(t, http.MethodGet, target, "", nil, testKey, "secretsmanager"))
		var body map[string]any
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &body) != nil || body["SecretString"] != "pw" {
			t.Fatalf("GET %s = %d %s", target, w.Code, w.Body)
		}
	}
	if got := rec.signed(); len(got) != 1 || got[0] != sourcetest.AccessKeyID(role) || fake.Calls(role) != 1 {
		t.Errorf("upstream calls signed by %q, %d AssumeRole; want one, by the role's key, one AssumeRole", got, fake.Calls(role))
	}
	w := serve(h, cloudRequest(t, http.MethodGet, "/secretsmanager/get?secretId=db&roleArn="+url.QueryEscape(refused), "", nil, testKey, "secretsmanager"))
	if w.Code != http.StatusBadRequest || w.Header().Get(ErrorTypeHeader) == "" || !strings.Contains(w.Body.String(), "AccessDenied") {
		t.Errorf("refused role = %d %v %s; want 400 naming AccessDenied", w.Code, w.Header(), w.Body)
	}
}
