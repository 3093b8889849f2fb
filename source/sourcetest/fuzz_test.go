package sourcetest

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP sends arbitrary targets and bodies to the handler: every
// answer must be a JSON object, and no input may reach the panic recovery
// (InternalServerError).
func FuzzServeHTTP(f *testing.F) {
	for target := range operations {
		f.Add(target, `{}`)
	}
	f.Add("AmazonSSM.GetParameter", `{"Name":"/a:1","WithDecryption":true}`)
	f.Add("AmazonSSM.GetParameter", `{"Name":"/aws/reference/secretsmanager/s:AWSCURRENT","WithDecryption":true}`)
	f.Add("AmazonSSM.GetParametersByPath", `{"Path":"/","Recursive":true,"MaxResults":1,"NextToken":"L2E"}`)
	f.Add("AmazonSSM.PutParameter", `{"Name":"/a","Value":"v","Type":"SecureString","Overwrite":true}`)
	f.Add("AmazonSSM.LabelParameterVersion", `{"Name":"/a","Labels":["L"],"ParameterVersion":1}`)
	f.Add("secretsmanager.CreateSecret", `{"Name":"s","SecretBinary":"AAE="}`)
	f.Add("secretsmanager.UpdateSecretVersionStage", `{"SecretId":"s","VersionStage":"AWSCURRENT","MoveToVersionId":"x"}`)
	f.Add("secretsmanager.BatchGetSecretValue", `{"Filters":[{"Key":"name","Values":["s"]}],"MaxResults":1}`)
	f.Add("x", "\x00")
	s := NewUnstartedServer()
	defer s.Close()
	_, _ = s.PutParameter(Parameter{Name: "/a", Value: "v", Labels: []string{"L"}})
	_, _ = s.CreateSecret(Secret{Name: "s"}, SecretVersion{String: new(string)})
	f.Fuzz(func(t *testing.T, target, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		w := httptest.NewRecorder()
		s.serveHTTP(w, req)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %q: body %q is not a JSON object", target, body, w.Body.Bytes())
		}
		if m["__type"] == "InternalServerError" {
			t.Fatalf("%s %q: %v", target, body, m)
		}
	})
}
