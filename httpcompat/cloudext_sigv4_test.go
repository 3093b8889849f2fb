package httpcompat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// cloudHandlerAt returns the Cloud Extensions handler with the test key
// and a clock reading now.
func cloudHandlerAt(t *testing.T, now time.Time, opts ...Option) *CloudExtensions {
	t.Helper()
	u := &upstream{}
	h, err := NewCloudExtensions(newCache(t, u.clients()), append([]Option{WithExtensionKey(testKey), withCloudClock(func() time.Time { return now })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func getParameterRequest(t *testing.T) *http.Request {
	m, b, hd := ssmCall("GetParameter", `{"Name":"/app/plain"}`)
	return cloudRequest(t, m, "/parameterstore", b, hd, testKey, "ssm")
}

func TestCloudSignatureTime(t *testing.T) {
	for _, tc := range []struct {
		route  string
		offset time.Duration
		want   int
	}{
		{"ps", 4*time.Minute + 59*time.Second, 200},
		{"ps", -4*time.Minute - 59*time.Second, 200},
		{"ps", 5*time.Minute + time.Second, 400},
		{"ps", -5*time.Minute - time.Second, 400},
		{"sm", 5 * time.Second, 200},
		{"sm", 6 * time.Second, 403},
		{"sm", -6 * time.Second, 403},
	} {
		h := cloudHandlerAt(t, goldenNow.Add(tc.offset))
		r := getParameterRequest(t)
		if tc.route == "sm" {
			r = cloudRequest(t, http.MethodGet, "/secretsmanager/"+secretName, "", nil, testKey, "secretsmanager")
		}
		w := serve(h, r)
		if w.Code != tc.want {
			t.Errorf("%s signed %v before the clock: %d %s; want %d", tc.route, tc.offset, w.Code, w.Body, tc.want)
		}
		if tc.want != 200 && w.Header().Get(ErrorReasonHeader) != reasonExpired {
			t.Errorf("%s signed %v before the clock: reason %q; want %s", tc.route, tc.offset, w.Header().Get(ErrorReasonHeader), reasonExpired)
		}
	}
}

func TestCloudSignatureTampering(t *testing.T) {
	h := cloudHandlerAt(t, goldenNow)
	for _, tc := range []struct {
		name   string
		change func(r *http.Request)
		want   int
		reason string
	}{
		{"untouched", func(*http.Request) {}, 200, ""},
		{"header added after signing", func(r *http.Request) { r.Header.Set("Accept-Encoding", "gzip"); r.Header.Set("User-Agent", "x") }, 200, ""},
		{"body changed", func(r *http.Request) {
			r.Body = http.NoBody
			r.Body = readCloser(`{"Name":"/app/other"}`)
		}, 400, reasonMismatch},
		{"signed header changed", func(r *http.Request) { r.Header.Set("X-Amz-Target", "AmazonSSM.GetParameters") }, 400, reasonMismatch},
		{"signed header removed", func(r *http.Request) { r.Header.Del("Content-Type") }, 400, reasonMismatch},
		{"host changed", func(r *http.Request) { r.Host = "127.0.0.1:5333" }, 400, reasonMismatch},
		{"query added", func(r *http.Request) { r.URL.RawQuery = "a=b" }, 400, reasonMismatch},
		{"date changed", func(r *http.Request) { r.Header.Set("X-Amz-Date", goldenNow.Add(time.Second).Format(amzDateFormat)) }, 400, reasonMismatch},
		{"two signatures", func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, 400, reasonMismatch},
		{"unsigned payload", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, 400, reasonMismatch},
		{"garbage", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, 400, reasonMismatch},
		{"signature truncated", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1])
		}, 400, reasonMismatch},
		{"no date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, 400, reasonMismatch},
	} {
		r := getParameterRequest(t)
		tc.change(r)
		w := serve(h, r)
		if w.Code != tc.want || w.Header().Get(ErrorReasonHeader) != tc.reason {
			t.Errorf("%s: %d %q %s; want %d %q", tc.name, w.Code, w.Header().Get(ErrorReasonHeader), w.Body, tc.want, tc.reason)
		}
		if strings.Contains(w.Body.String(), testKey.Secret) {
			t.Errorf("%s: the body holds the secret key", tc.name)
		}
	}
}

func readCloser(s string) *readCloserString { return &readCloserString{strings.NewReader(s)} }

type readCloserString struct{ *strings.Reader }

func (*readCloserString) Close() error { return nil }

// TestCloudSignatureEncodedPath: a path with %2F signed the way the SDKs
// do (escaped once more) and the way curl does (as sent) are both
// accepted.
func TestCloudSignatureEncodedPath(t *testing.T) {
	h := cloudHandlerAt(t, goldenNow)
	for _, plain := range []bool{false, true} {
		r := cloudRequest(t, http.MethodGet, "/secretsmanager/app%2Fdb-secret", "", nil, ExtensionKey{}, "")
		s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = plain })
		sum := sha256.Sum256(nil)
		if err := s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey.ID, SecretAccessKey: testKey.Secret}, r,
			hex.EncodeToString(sum[:]), "secretsmanager", "us-east-1", goldenNow); err != nil {
			t.Fatal(err)
		}
		if w := serve(h, r); w.Code != 200 || !strings.Contains(w.Body.String(), "db-secret-value") {
			t.Errorf("GET /secretsmanager/app%%2Fdb-secret signed with DisableURIPathEscaping=%v: %d %s; want 200", plain, w.Code, w.Body)
		}
	}
}

func TestCloudWithoutAuthentication(t *testing.T) {
	u := &upstream{}
	h, err := NewCloudExtensions(newCache(t, u.clients()), WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	m, b, hd := ssmCall("GetParameter", `{"Name":"/app/plain"}`)
	if w := serve(h, cloudRequest(t, m, "/parameterstore", b, hd, ExtensionKey{}, "")); w.Code != 200 {
		t.Errorf("unsigned GetParameter without authentication: %d %s; want 200", w.Code, w.Body)
	}
	if w := serve(h, cloudRequest(t, http.MethodGet, "/secretsmanager/"+secretName, "", nil, ExtensionKey{}, "")); w.Code != 200 {
		t.Errorf("unsigned secret read without authentication: %d %s; want 200", w.Code, w.Body)
	}
}

func TestCloudSSRFToken(t *testing.T) {
	h := cloudHandlerAt(t, goldenNow, WithSSRFToken(testToken))
	for _, tc := range []struct {
		target string
		hdr    map[string]string
		want   int
	}{
		{"/secretsmanager/" + secretName, nil, 403},
		{"/secretsmanager/" + secretName, map[string]string{TokenHeader: "wrong"}, 403},
		{"/secretsmanager/" + secretName, map[string]string{TokenHeader: testToken}, 200},
		{"/secretsmanager/get?secretId=" + secretName, map[string]string{VaultTokenHeader: testToken}, 200},
		{"/v1/" + secretName, map[string]string{VaultTokenHeader: testToken}, 200},
		{"/v1/" + secretName, nil, 403},
	} {
		w := serve(h, cloudRequest(t, http.MethodGet, tc.target, "", tc.hdr, testKey, "secretsmanager"))
		if w.Code != tc.want {
			t.Errorf("GET %s %v: %d %s; want %d", tc.target, tc.hdr, w.Code, w.Body, tc.want)
		}
		if tc.want == 403 && w.Header().Get(ErrorTypeHeader) != "InvalidSsrfTokenException" {
			t.Errorf("GET %s %v: type %q; want InvalidSsrfTokenException", tc.target, tc.hdr, w.Header().Get(ErrorTypeHeader))
		}
	}
	// POST /parameterstore has no SSRF check: the signature is the check.
	if w := serve(h, getParameterRequest(t)); w.Code != 200 {
		t.Errorf("GetParameter with the SSRF check on: %d; want 200", w.Code)
	}
}

func TestCloudBodyBound(t *testing.T) {
	h := cloudHandlerAt(t, goldenNow)
	m, _, hd := ssmCall("GetParameter", "")
	body := `{"Name":"/app/plain","Pad":"` + strings.Repeat("x", maxCloudBody) + `"}`
	w := serve(h, cloudRequest(t, m, "/parameterstore", body, hd, testKey, "ssm"))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body of %d bytes: %d %s; want 413", len(body), w.Code, w.Body)
	}
	body = `{"Name":"/app/plain","Pad":"` + strings.Repeat("x", maxCloudBody-40) + `"}`
	if w := serve(h, cloudRequest(t, m, "/parameterstore", body, hd, testKey, "ssm")); w.Code != 200 {
		t.Errorf("a body of %d bytes: %d; want 200", len(body), w.Code)
	}
}

func TestNewCloudExtensionsOptions(t *testing.T) {
	c := newCache(t, (&upstream{}).clients())
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"no authentication given", nil},
		{"both", []Option{WithExtensionKey(testKey), WithoutAuthentication()}},
		{"empty id", []Option{WithExtensionKey(ExtensionKey{Secret: "s"})}},
		{"empty secret", []Option{WithExtensionKey(ExtensionKey{ID: "id"})}},
		{"id with a slash", []Option{WithExtensionKey(ExtensionKey{ID: "a/b", Secret: "s"})}},
		{"empty SSRF token", []Option{WithoutAuthentication(), WithSSRFToken("")}},
	} {
		if _, err := NewCloudExtensions(c, tc.opts...); err == nil {
			t.Errorf("NewCloudExtensions(%s) = nil error; want one", tc.name)
		} else if strings.Contains(err.Error(), testKey.Secret) {
			t.Errorf("NewCloudExtensions(%s) error holds the secret: %v", tc.name, err)
		}
	}
}

func TestExtensionKeyRedacted(t *testing.T) {
	for _, s := range []string{testKey.String(), testKey.GoString(), fmt.Sprintf("%v %+v %#v %s", testKey, testKey, testKey, testKey)} {
		if strings.Contains(s, testKey.Secret) || !strings.Contains(s, testKey.ID) {
			t.Errorf("printed key %q; want the id without the secret", s)
		}
	}
}
