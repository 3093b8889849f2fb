package httpcompat

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// sdkDecodingClient is the published Go client that trusts the body: it
// decodes whatever comes back into the SDK's output type without looking
// at the status, as json.NewDecoder(resp.Body).Decode does. It sends the
// token, the extra headers and, if not empty, a Host of its own; it
// returns the status, whether the output is empty and the decode error.
func sdkDecodingClient(t *testing.T, s *Server, target, host string, header map[string]string) (status int, empty bool, err error) {
	t.Helper()
	_, port, _ := strings.Cut(s.Addr(), ":")
	req, err := http.NewRequest(http.MethodGet, "http://localhost:"+port+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	req.Header.Set(TokenHeader, testToken)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	if strings.HasPrefix(target, "/secretsmanager/") {
		var out secretsmanager.GetSecretValueOutput
		err = dec.Decode(&out)
		return resp.StatusCode, out.Name == nil, err
	}
	var out ssm.GetParameterOutput
	err = dec.Decode(&out)
	return resp.StatusCode, out.Parameter == nil, err
}

// TestClientDecodesEveryBody: for every kind of error reply the handler
// and the server give, the client that decodes any body into
// ssm.GetParameterOutput or secretsmanager.GetSecretValueOutput gets a
// decode error by default, never a zero-value success; a success still
// decodes. With WithJSONErrors the same client reads an upstream error as
// an empty success: that is why JSON errors are opt-in.
func TestClientDecodesEveryBody(t *testing.T) {
	const p, sm = "/systemsmanager/parameters/get?", "/secretsmanager/get?"
	calls := []struct {
		target, host string
		header       map[string]string
		status       int
	}{
		{p + "name=fail%2FParameterNotFound", "", nil, 400},
		{p + "name=fail%2FParameterVersionNotFound&version=3", "", nil, 400},
		{p + "name=fail%2FAccessDeniedException", "", nil, 400},
		{p + "name=%2Fa&version=0", "", nil, 400},
		{p + "name=%2Fa&unknown=1", "", nil, 400},
		{p + "name=", "", nil, 400},
		{p + "name=%2Faws%2Freference%2Fsecretsmanager%2Fs", "", nil, 400},
		{p + "name=fail%2FThrottlingException", "", nil, 429},
		{p + "name=fail%2FInternalServerError", "", nil, 502},
		{p + "name=fail%2Ftimeout", "", nil, 504},
		{p + "name=%2Fa", "", map[string]string{TokenHeader: "wrong"}, 401},
		{p + "name=%2Fa", "", map[string]string{"X-Forwarded-For": "203.0.113.1"}, 400},
		{p + "name=%2Fa", "attacker.example", nil, 403},
		{p + "name=%2Fa", "localhost:99999", nil, 403},
		{sm + "secretId=fail%2FResourceNotFoundException", "", nil, 400},
		{sm + "secretId=s&versionId=short", "", nil, 400},
		{sm + "secretId=fail%2Fpanic", "", nil, 502},
		{"/nowhere?name=%2Fa", "", nil, 404},
	}
	for _, jsonErrors := range []bool{false, true} {
		var opts []Option
		if jsonErrors {
			opts = append(opts, WithJSONErrors())
		}
		h, _, _ := newTestHandler(t, opts...)
		s := listenLocalhost(t, h)
		for _, c := range calls {
			status, zero, err := sdkDecodingClient(t, s, c.target, c.host, c.header)
			if status != c.status {
				t.Errorf("GET %s = %d; want %d", c.target, status, c.status)
			}
			if !jsonErrors && err == nil {
				t.Errorf("GET %s (%d): decoding the body gave no error (empty output: %v); want an error for every error reply", c.target, status, zero)
			}
		}
		if jsonErrors {
			if _, zero, err := sdkDecodingClient(t, s, p+"name=fail%2FParameterNotFound", "", nil); err != nil || !zero {
				t.Errorf("with WithJSONErrors: decode error %v, empty %v; want the empty success that makes JSON errors opt-in", err, zero)
			}
		}
		for _, target := range []string{p + "name=%2Fa", sm + "secretId=s"} {
			if status, zero, err := sdkDecodingClient(t, s, target, "", nil); status != 200 || err != nil || zero {
				t.Errorf("GET %s = %d, decode error %v, empty %v; want a decoded success", target, status, err, zero)
			}
		}
	}
}
