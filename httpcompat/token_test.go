package httpcompat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenCheck(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string][]string
		want    int
	}{
		{"no header", nil, 401},
		{"right token", map[string][]string{TokenHeader: {testToken}}, 200},
		{"X-Vault-Token", map[string][]string{VaultTokenHeader: {testToken}}, 200},
		{"wrong token", map[string][]string{TokenHeader: {"wrong"}}, 401},
		{"empty token", map[string][]string{TokenHeader: {""}}, 401},
		{"prefix of token", map[string][]string{TokenHeader: {testToken[:10]}}, 401},
		{"token plus suffix", map[string][]string{TokenHeader: {testToken + "x"}}, 401},
		{"token with surrounding spaces", map[string][]string{TokenHeader: {" " + testToken + " "}}, 401},
		{"token with trailing tab", map[string][]string{TokenHeader: {testToken + "\t"}}, 401},
		{"token in other case", map[string][]string{TokenHeader: {strings.ToLower(testToken)}}, 401},
		{"two values, one wrong", map[string][]string{TokenHeader: {testToken, "wrong"}}, 401},
		{"both headers right", map[string][]string{TokenHeader: {testToken}, VaultTokenHeader: {testToken}}, 200},
		{"both headers, vault wrong", map[string][]string{TokenHeader: {testToken}, VaultTokenHeader: {"wrong"}}, 401},
		{"token in Authorization", map[string][]string{"Authorization": {testToken}}, 401},
		{"token in another header", map[string][]string{"X-Aws-Parameters-Secrets": {testToken}}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, u, logs := newTestHandler(t)
			for _, target := range []string{"/secretsmanager/get?secretId=a", "/systemsmanager/parameters/get?name=a", "/v1/a", "/unknown/path"} {
				r := request("GET", target, "")
				for k, v := range tt.headers {
					r.Header[k] = v
				}
				w := serve(h, r)
				want := tt.want
				if want == 200 && target == "/unknown/path" {
					want = 404
				}
				if w.Code != want {
					t.Fatalf("GET %s = %d %s; want %d", target, w.Code, w.Body, want)
				}
				if want != 401 {
					continue
				}
				if got := w.Body.String(); got != "bad session token or header key" {
					t.Errorf("401 body = %q; want the extension's text", got)
				}
				if got := w.Header().Get("Content-Type"); got != "text/plain" {
					t.Errorf("401 Content-Type = %q; want text/plain", got)
				}
				if got := w.Header().Get("x-amzn-errortype"); got != "AccessDeniedException" {
					t.Errorf("401 x-amzn-errortype = %q; want AccessDeniedException", got)
				}
			}
			if tt.want == 401 && len(u.secretInputs())+len(u.paramInputs()) != 0 {
				t.Errorf("upstream was called without the right token")
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("the token appears in the logs")
			}
		})
	}
}

func TestTokenFromEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("  file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr []string // substrings of the error
	}{
		{"session token", map[string]string{"AWS_SESSION_TOKEN": "sess"}, "sess", nil},
		{"AWS_TOKEN first", map[string]string{"AWS_TOKEN": "tok", "AWS_SESSION_TOKEN": "sess", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "cont"}, "tok", nil},
		{"session before container", map[string]string{"AWS_SESSION_TOKEN": "sess", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "cont"}, "sess", nil},
		{"container", map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "cont"}, "cont", nil},
		{"empty is unset", map[string]string{"AWS_TOKEN": "", "AWS_SESSION_TOKEN": "sess"}, "sess", nil},
		{"trimmed", map[string]string{"AWS_SESSION_TOKEN": " sess\n"}, "sess", nil},
		{"file", map[string]string{"AWS_TOKEN": "file://" + file, "AWS_SESSION_TOKEN": "sess"}, "file-token", nil},
		{"file in container variable", map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "file://" + file}, "file-token", nil},
		{"none", map[string]string{}, "", []string{"AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}},
		{"whitespace only", map[string]string{"AWS_SESSION_TOKEN": "  "}, "", []string{"AWS_SESSION_TOKEN"}},
		{"missing file", map[string]string{"AWS_TOKEN": "file://" + missing}, "", []string{"AWS_TOKEN", missing}},
		{"empty file", map[string]string{"AWS_SESSION_TOKEN": "file://" + empty}, "", []string{"AWS_SESSION_TOKEN", empty, "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TokenFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("TokenFromEnv = %q, %v; want %q, nil", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("TokenFromEnv = %q, nil; want an error", got)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
	if _, err := TokenFromEnv(nil); err == nil {
		t.Errorf("TokenFromEnv(nil) = nil error")
	}
}

// TestTokenFromEnvErrorHasNoToken: a token file that exists but is a
// directory must not make the error quote any token.
func TestTokenFromEnvErrorHasNoToken(t *testing.T) {
	dir := t.TempDir()
	_, err := TokenFromEnv(func(k string) string {
		if k == "AWS_TOKEN" {
			return "file://" + dir
		}
		if k == "AWS_SESSION_TOKEN" {
			return "SHOULD-NOT-APPEAR"
		}
		return ""
	})
	if err == nil || strings.Contains(err.Error(), "SHOULD-NOT-APPEAR") {
		t.Errorf("TokenFromEnv(dir) = %v; want an error naming the file only", err)
	}
}
