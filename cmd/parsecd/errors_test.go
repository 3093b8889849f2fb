package main

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// getFull sends GET url with the token and returns the response with its body.
func getFull(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestErrorBodies: by default an upstream error is the extension's 400
// text; --json-errors true or PARSECD_JSON_ERRORS=true gives AWS's JSON
// shape; either way the code is in X-Amzn-Errortype.
func TestErrorBodies(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	const missing = "/systemsmanager/parameters/get?name=%2Fmissing"
	tests := []struct {
		name string
		args []string
		env  []string
		json bool
	}{
		{"default", nil, nil, false},
		{"flag", []string{"--json-errors", "true"}, nil, true},
		{"variable", nil, []string{"PARSECD_JSON_ERRORS", "TRUE"}, true},
		{"flag overrides variable", []string{"--json-errors", "0"}, []string{"PARSECD_JSON_ERRORS", "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRun(t, append([]string{"--emulate", file, "--port", "0"}, tt.args...), envMap(append(tt.env, "AWS_SESSION_TOKEN", "tok")...), nil)
			resp, body := getFull(t, r.url+missing, "tok")
			if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "ParameterNotFound" || resp.Header.Get("X-Parsec-Error-Message") == "" {
				t.Errorf("GET missing = %d %v %q; want 400 with the code and message headers", resp.StatusCode, resp.Header, body)
			}
			if !tt.json {
				if body != "an unexpected error occurred while executing request" || resp.Header.Get("Content-Type") != "text/plain" {
					t.Errorf("default error body %q (%s); want the extension's text", body, resp.Header.Get("Content-Type"))
				}
				return
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Type != "ParameterNotFound" || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("JSON error body %q (%s): %v; want __type ParameterNotFound", body, resp.Header.Get("Content-Type"), err)
			}
		})
	}
}
