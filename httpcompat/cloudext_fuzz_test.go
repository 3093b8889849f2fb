package httpcompat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzCloudExtensions: whatever the method, path, operation, body and
// Authorization header, the Cloud Extensions handler answers without
// panicking, every error carries X-Amzn-Errortype and a JSON body (an
// empty one only for 500 InternalFailure), a refused signature never
// reaches the cache, and no answer holds the secret key.
func FuzzCloudExtensions(f *testing.F) {
	for _, s := range [][4]string{
		{"POST", "/parameterstore", "AmazonSSM.GetParameter", `{"Name":"/app/plain"}`},
		{"POST", "/parameterstore/", "AmazonSSM.GetParameters", `{"Names":["/a","fail/ParameterNotFound"],"WithDecryption":true}`},
		{"POST", "/parameterstore", "AmazonSSM.GetParametersByPath", `{"Path":"/app","Recursive":true,"MaxResults":2,"NextToken":"cGFyc2VjMTox"}`},
		{"POST", "/parameterstore", "AmazonSSM.GetParameter", `{"Name":5}`},
		{"POST", "/secretsmanager", "secretsmanager.BatchGetSecretValue", `{"SecretIdList":["a","b"]}`},
		{"GET", "/secretsmanager/app%2Fdb-secret", "", ""},
		{"GET", "/secretsmanager/get?secretId=get&refreshNow=true", "", ""},
		{"GET", "/v1/%zz", "", ""},
		{"DELETE", "/secretsmanager/x", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], "")
		f.Add(s[0], s[1], s[2], s[3], "AWS4-HMAC-SHA256 Credential="+testKey.ID+"/20261201/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	}
	u := &upstream{}
	c := newCache(f, u.clients())
	open, err := NewCloudExtensions(c, WithoutAuthentication())
	if err != nil {
		f.Fatal(err)
	}
	signed, err := NewCloudExtensions(c, WithExtensionKey(testKey), withCloudClock(func() time.Time { return goldenNow }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, op, body, auth string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \t\r\n#") || method == "" || strings.ContainsAny(method, " \t\r\n/") {
			return
		}
		for _, h := range []*CloudExtensions{open, signed} {
			r, err := http.NewRequest(method, "http://localhost:5333"+target, strings.NewReader(body))
			if err != nil {
				return
			}
			r.Host = "localhost:5333"
			r.Header.Set("X-Amz-Target", op)
			r.Header.Set("X-Amz-Date", goldenNow.Format(amzDateFormat))
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			before := len(u.paramInputs()) + len(u.secretInputs())
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 400 {
				if w.Header().Get(ErrorTypeHeader) == "" {
					t.Fatalf("%s %s: %d without %s", method, target, w.Code, ErrorTypeHeader)
				}
				if !(w.Code == 500 && w.Body.Len() == 0) && !json.Valid(w.Body.Bytes()) {
					t.Fatalf("%s %s: %d body %q is not JSON", method, target, w.Code, w.Body)
				}
			}
			if h == signed && w.Header().Get(ErrorReasonHeader) != "" && len(u.paramInputs())+len(u.secretInputs()) != before {
				t.Fatalf("%s %s: refused (%s) but the upstream was called", method, target, w.Header().Get(ErrorReasonHeader))
			}
			if strings.Contains(w.Body.String(), testKey.Secret) {
				t.Fatalf("%s %s: the answer holds the secret key", method, target)
			}
		}
	})
}
