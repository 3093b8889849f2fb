package sourcetest_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// recordedFile is a copy of the project's shared
// testdata/extension-recorded-responses.json.
const recordedFile = "testdata/extension-recorded-responses.json"

// TestSeedRecorded proves that SeedRecorded reproduces every recorded
// success response byte for byte, as json.Marshal of the SDK's output.
func TestSeedRecorded(t *testing.T) {
	raw, err := os.ReadFile(recordedFile)
	if err != nil {
		t.Fatalf("read recorded responses: %v", err)
	}
	var doc struct {
		Cases map[string]struct {
			Response json.RawMessage `json:"response"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	s := newServer(t)
	if err := sourcetest.SeedRecorded(s); err != nil {
		t.Fatal(err)
	}
	ssmc, smc := s.SSM(), s.SecretsManager()
	n := 0
	for path, c := range doc.Cases {
		if c.Response == nil {
			continue
		}
		n++
		t.Run(path, func(t *testing.T) {
			u, err := url.Parse(path)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			var out any
			switch {
			case strings.HasPrefix(u.Path, "/systemsmanager/"):
				name := q.Get("name")
				if v := q.Get("version"); v != "" {
					name += ":" + v
				}
				if l := q.Get("label"); l != "" {
					name += ":" + l
				}
				out, err = ssmc.GetParameter(t.Context(), &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(q.Get("withDecryption") == "true")})
			default:
				in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(q.Get("secretId"))}
				if v := q.Get("versionId"); v != "" {
					in.VersionId = &v
				}
				if v := q.Get("versionStage"); v != "" {
					in.VersionStage = &v
				}
				out, err = smc.GetSecretValue(t.Context(), in)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, c.Response); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("json.Marshal(SDK output) =\n%s\nwant\n%s", got, want.Bytes())
			}
		})
	}
	if n != 14 {
		t.Errorf("%d success cases; want 14", n)
	}
	// The recorded error cases map to these upstream errors.
	for _, tt := range []struct{ name, code string }{
		{"does-not-exist", "ParameterNotFound"},
		{"/lambda-ext-test-param/dummy-string-list:0", "ParameterVersionNotFound"},
	} {
		if _, err := ssmc.GetParameter(t.Context(), &ssm.GetParameterInput{Name: &tt.name}); code(err) != tt.code {
			t.Errorf("GetParameter(%q) = %v; want %s", tt.name, err, tt.code)
		}
	}
	_, err = smc.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("dummy-string-secret"), VersionStage: aws.String("DOESNOTEXIST")})
	if code(err) != "ResourceNotFoundException" {
		t.Errorf("GetSecretValue(stage DOESNOTEXIST) = %v; want ResourceNotFoundException", err)
	}
	if err := sourcetest.SeedRecorded(newServer(t, sourcetest.WithRegion("eu-west-1"))); err == nil {
		t.Errorf("SeedRecorded in eu-west-1: no error")
	}
}
