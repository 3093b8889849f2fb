package sourcetest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestSecretsManagerReference(t *testing.T) {
	created := time.Date(2023, 1, 2, 15, 4, 5, 678e6, time.UTC)
	s := newServer(t, sourcetest.WithClock(func() time.Time { return created }))
	v1, v2 := seedSecrets(t, s)
	if _, err := s.CreateSecret(sourcetest.Secret{Name: "html"}, sourcetest.SecretVersion{String: ptr(`a<b>&c='d' "e"`)}); err != nil {
		t.Fatal(err)
	}
	c := s.SSM()
	const ref = "/aws/reference/secretsmanager/"
	tests := []struct {
		name, value, selector, code string
		decrypt                     bool
		source                      string
	}{
		{name: ref + "str", decrypt: true, value: "s2"},
		{name: ref + "str:AWSPREVIOUS", decrypt: true, value: "s1", selector: ":AWSPREVIOUS"},
		{name: ref + "str:" + v1, decrypt: true, value: "s1", selector: ":" + v1},
		{name: ref + "str:" + v2, decrypt: true, value: "s2", selector: ":" + v2},
		{name: ref + "str", decrypt: false, code: "ValidationException"},
		{name: ref + "str:NOPE", decrypt: true, code: "ParameterNotFound"},
		{name: ref + "nope", decrypt: true, code: "ParameterNotFound"},
		{name: ref + "gone", decrypt: true, code: "ParameterNotFound"},
		{name: ref + "empty", decrypt: true, code: "ParameterNotFound"},
		{name: ref + "bin", decrypt: true, value: "<nil>", // SSM answers Value null; the bytes are in SourceResult
			source: `"secretBinary":{"hb":[0,1,2,-1],"offset":0,"isReadOnly":false,"bigEndian":true,"nativeByteOrder":false,"mark":-1,"position":0,"limit":4,"capacity":4,"address":16}`},
		{name: ref + "html", decrypt: true, value: `a<b>&c='d' "e"`,
			source: `"secretString":"a\u003cb\u003e\u0026c\u003d\u0027d\u0027 \"e\""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: &tt.name, WithDecryption: &tt.decrypt})
			if tt.code != "" {
				if code(err) != tt.code {
					t.Fatalf("GetParameter(%s) = %v; want %s", tt.name, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := out.Parameter
			base := stripSel(tt.name)
			if val(p.Value) != tt.value || val(p.Name) != base || p.Type != "SecureString" || p.Version != 0 || p.DataType != nil || !p.LastModifiedDate.Equal(created) {
				t.Errorf("GetParameter(%s) = %+v; want value %s", tt.name, p, tt.value)
			}
			if tt.selector != "" && val(p.Selector) != tt.selector {
				t.Errorf("Selector = %s; want %s", val(p.Selector), tt.selector)
			}
			var src map[string]any
			if err := json.Unmarshal([]byte(val(p.SourceResult)), &src); err != nil {
				t.Fatalf("SourceResult %s: %v", val(p.SourceResult), err)
			}
			if src["ARN"] != val(p.ARN) || src["createdDate"] != "Jan 2, 2023, 3:04:05 PM" {
				t.Errorf("SourceResult = %s", *p.SourceResult)
			}
			if tt.source != "" && !strings.Contains(*p.SourceResult, tt.source) {
				t.Errorf("SourceResult = %s; want it to contain %s (Gson escaping)", *p.SourceResult, tt.source)
			}
		})
	}
	// Faults and counters see the reference name without selector.
	s.ResetCounters()
	_, _ = c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(ref + "str:AWSPREVIOUS"), WithDecryption: aws.Bool(true)})
	if n := s.CallsFor("GetParameter", ref+"str"); n != 1 {
		t.Errorf("CallsFor(reference) = %d; want 1", n)
	}
}

func stripSel(name string) string {
	const ref = "/aws/reference/secretsmanager/"
	for i := len(ref); i < len(name); i++ {
		if name[i] == ':' {
			return name[:i]
		}
	}
	return name
}
