package sourcetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// post sends a raw AWS JSON 1.1 call and returns the status, the decoded
// body and the response headers.
func post(t *testing.T, s *sourcetest.Server, method, target, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", raw, err)
	}
	return resp.StatusCode, m, resp.Header
}

func TestWireErrors(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	seedSecrets(t, s)
	tests := []struct {
		desc, method, target, body, code string
		status                           int
	}{
		{"malformed JSON", "POST", "AmazonSSM.GetParameter", `{"Name":`, "SerializationException", 400},
		{"not an object", "POST", "AmazonSSM.GetParameter", `[1,2]`, "SerializationException", 400},
		{"string", "POST", "AmazonSSM.GetParameter", `"x"`, "SerializationException", 400},
		{"wrong type", "POST", "AmazonSSM.GetParameter", `{"Name":5}`, "SerializationException", 400},
		{"wrong bool", "POST", "AmazonSSM.GetParameter", `{"Name":"/app/str","WithDecryption":"yes"}`, "SerializationException", 400},
		{"wrong list", "POST", "AmazonSSM.GetParameters", `{"Names":"/app/str"}`, "SerializationException", 400},
		{"bad base64", "POST", "secretsmanager.CreateSecret", `{"Name":"b64","SecretBinary":"***"}`, "SerializationException", 400},
		{"unknown target", "POST", "AmazonSSM.DescribeEverything", `{}`, "UnknownOperationException", 400},
		{"other service", "POST", "Kinesis_20131202.ListStreams", `{}`, "UnknownOperationException", 400},
		{"no target", "POST", "", `{}`, "UnknownOperationException", 400},
		{"GET", "GET", "AmazonSSM.GetParameter", ``, "UnknownOperationException", 400},
		{"missing Name", "POST", "AmazonSSM.GetParameter", `{}`, "ValidationException", 400},
		{"null body", "POST", "AmazonSSM.GetParameter", `null`, "ValidationException", 400},
		{"empty body", "POST", "AmazonSSM.GetParameter", ``, "ValidationException", 400},
		{"missing Names", "POST", "AmazonSSM.GetParameters", `{}`, "ValidationException", 400},
		{"missing Path", "POST", "AmazonSSM.GetParametersByPath", `{}`, "ValidationException", 400},
		{"missing Value", "POST", "AmazonSSM.PutParameter", `{"Name":"/x"}`, "ValidationException", 400},
		{"missing Labels", "POST", "AmazonSSM.LabelParameterVersion", `{"Name":"/app/str"}`, "ValidationException", 400},
		{"missing Name (delete)", "POST", "AmazonSSM.DeleteParameter", `{}`, "ValidationException", 400},
		{"missing SecretId", "POST", "secretsmanager.GetSecretValue", `{}`, "ValidationException", 400},
		{"missing SecretId (describe)", "POST", "secretsmanager.DescribeSecret", `{}`, "ValidationException", 400},
		{"missing Name (create)", "POST", "secretsmanager.CreateSecret", `{}`, "ValidationException", 400},
		{"missing SecretId (put)", "POST", "secretsmanager.PutSecretValue", `{}`, "ValidationException", 400},
		{"missing VersionStage", "POST", "secretsmanager.UpdateSecretVersionStage", `{"SecretId":"str"}`, "ValidationException", 400},
		{"missing SecretId (delete)", "POST", "secretsmanager.DeleteSecret", `{}`, "ValidationException", 400},
		{"not found", "POST", "secretsmanager.GetSecretValue", `{"SecretId":"nope"}`, "ResourceNotFoundException", 400},
		{"negative version", "POST", "AmazonSSM.LabelParameterVersion", `{"Name":"/app/str","ParameterVersion":-1,"Labels":["A"]}`, "ValidationException", 400},
		{"huge number", "POST", "AmazonSSM.GetParametersByPath", `{"Path":"/a","MaxResults":1e99}`, "SerializationException", 400},
		{"NUL in name", "POST", "AmazonSSM.GetParameter", `{"Name":"\u0000"}`, "ParameterNotFound", 400},
		{"invalid UTF-8 name", "POST", "AmazonSSM.PutParameter", "{\"Name\":\"/\xff\",\"Value\":\"v\",\"Type\":\"String\"}", "ValidationException", 400},
		{"deep reference", "POST", "AmazonSSM.GetParameter", `{"Name":"/aws/reference/secretsmanager/arn:aws:secretsmanager:x","WithDecryption":true}`, "ParameterNotFound", 400},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			st, body, h := post(t, s, tt.method, tt.target, tt.body)
			if st != tt.status || body["__type"] != tt.code {
				t.Errorf("%s %s %q = HTTP %d %v; want HTTP %d %s", tt.method, tt.target, tt.body, st, body, tt.status, tt.code)
			}
			if msg, _ := body["message"].(string); msg == "" {
				t.Errorf("no message in %v", body)
			}
			if ct := h.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type = %q", ct)
			}
			if h.Get("X-Amzn-Requestid") == "" {
				t.Errorf("no x-amzn-RequestId header")
			}
		})
	}
	// The server still answers normally.
	st, body, _ := post(t, s, "POST", "AmazonSSM.GetParameter", `{"Name":"/app/str"}`)
	if st != 200 || body["Parameter"].(map[string]any)["Value"] != "two" {
		t.Errorf("GetParameter after bad input = HTTP %d %v", st, body)
	}
}

func TestWireTimestamps(t *testing.T) {
	s := newServer(t, sourcetest.WithClock(func() time.Time { return clock }))
	seedParams(t, s)
	_, body, _ := post(t, s, "POST", "AmazonSSM.GetParameter", `{"Name":"/app/str"}`)
	if got := body["Parameter"].(map[string]any)["LastModifiedDate"]; got != 1714979289.123 {
		t.Errorf("LastModifiedDate = %v; want 1714979289.123 (epoch seconds, milliseconds)", got)
	}
}
