package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
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

// TestEmulatorBinaryReference: the emulator answers a binary secret read
// through /aws/reference/secretsmanager/ as real SSM does: Value null,
// DataType null, Version 0, the bytes in SourceResult as a Gson-rendered
// Java ByteBuffer (signed bytes).
func TestEmulatorBinaryReference(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", `{"secrets": [{"name": "bin", "binary": "AAF/gP8="}]}`)
	r := startRun(t, []string{"--emulate", file, "--port", "0"}, envMap("AWS_SESSION_TOKEN", "tok"), nil)
	resp, body := getFull(t, r.url+"/systemsmanager/parameters/get?name=%2Faws%2Freference%2Fsecretsmanager%2Fbin&withDecryption=true", "tok")
	var out struct {
		Parameter struct {
			Value, DataType *string
			Version         int64
			SourceResult    string
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET reference = %d %q: %v", resp.StatusCode, body, err)
	}
	p := out.Parameter
	const wantBuffer = `"secretBinary":{"hb":[0,1,127,-128,-1],"offset":0,"isReadOnly":false,"bigEndian":true,"nativeByteOrder":false,"mark":-1,"position":0,"limit":5,"capacity":5,"address":16}`
	if p.Value != nil || p.DataType != nil || p.Version != 0 || !strings.Contains(p.SourceResult, wantBuffer) {
		t.Errorf("binary reference = %s; want Value and DataType null, Version 0, SourceResult with %s", body, wantBuffer)
	}
	// Without withDecryption: the extension's 400, answered locally.
	resp, body = getFull(t, r.url+"/systemsmanager/parameters/get?name=%2Faws%2Freference%2Fsecretsmanager%2Fbin", "tok")
	if resp.StatusCode != 400 || body != "an unexpected error occurred while executing request" {
		t.Errorf("reference without withDecryption = %d %q; want the extension's 400", resp.StatusCode, body)
	}
}
