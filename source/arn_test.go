package source

import (
	"errors"
	"strings"
	"testing"
)

func TestParameterARN(t *testing.T) {
	tests := []struct {
		name    string
		want    arn
		ok      bool
		wantErr string // a part of the error's text; "" for no error
	}{
		{"/app/x", arn{}, false, ""},
		{"x:3", arn{}, false, ""},
		{"/aws/reference/secretsmanager/db", arn{}, false, ""},
		{"ARN:aws:ssm:us-east-1:123456789012:parameter/x", arn{}, false, ""}, // not an ARN: AWS rejects the name
		{"arn:aws:ssm:us-east-1:123456789012:parameter/x", arn{"aws", "us-east-1", "123456789012"}, true, ""},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/x:3", arn{"aws", "eu-west-1", "123456789012"}, true, ""},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/x:Prod", arn{"aws", "eu-west-1", "123456789012"}, true, ""},
		{"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", arn{"aws-cn", "cn-north-1", "123456789012"}, true, ""},
		{"/aws/reference/secretsmanager/arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
			arn{"aws", "eu-west-1", "123456789012"}, true, ""},
		{"/aws/reference/secretsmanager/arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:AWSPREVIOUS",
			arn{"aws", "eu-west-1", "123456789012"}, true, ""},

		{"arn:", arn{}, false, "at least 6"},
		{"arn:aws:ssm:us-east-1:123456789012", arn{}, false, "at least 6"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/x:1:2", arn{}, false, "at most 7"},
		{"arn::ssm:us-east-1:123456789012:parameter/x", arn{}, false, "partition is empty"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:parameter/x", arn{}, false, "service must be ssm"},
		{"arn:aws:ssm::123456789012:parameter/x", arn{}, false, "region must be"},
		{"arn:aws:ssm:US-EAST-1:123456789012:parameter/x", arn{}, false, "region must be"},
		{"arn:aws:ssm:us-east-1.evil.example:123456789012:parameter/x", arn{}, false, "region must be"},
		{"arn:aws:ssm:us-east-1:1234:parameter/x", arn{}, false, "account must be 12 digits"},
		{"arn:aws:ssm:us-east-1:12345678901x:parameter/x", arn{}, false, "account must be 12 digits"},
		{"arn:aws:ssm:us-east-1:123456789012:secret/x", arn{}, false, "resource must be parameter/NAME"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/", arn{}, false, "resource must be parameter/NAME"},
		{"/aws/reference/secretsmanager/arn:aws:ssm:us-east-1:123456789012:secret:db", arn{}, false, "service must be secretsmanager"},
		{"/aws/reference/secretsmanager/arn:aws:secretsmanager:us-east-1:123456789012:parameter:db", arn{}, false, "resource type must be secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parameterARN(tt.name)
			checkARN(t, "parameterARN", tt.name, got, ok, err, tt.want, tt.ok, tt.wantErr)
		})
	}
}

func TestSecretARN(t *testing.T) {
	tests := []struct {
		id      string
		want    arn
		ok      bool
		wantErr string
	}{
		{"db", arn{}, false, ""},
		{"prod/db", arn{}, false, ""},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", arn{"aws", "eu-west-1", "123456789012"}, true, ""},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", arn{"aws", "eu-west-1", "123456789012"}, true, ""}, // partial ARN
		{"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db", arn{"aws-us-gov", "us-gov-west-1", "123456789012"}, true, ""},

		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret", arn{}, false, "at least 7"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:extra", arn{}, false, "at most 7"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:", arn{}, false, "secret name is empty"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:key:db", arn{}, false, "resource type must be secret"},
		{"arn:aws:ssm:eu-west-1:123456789012:secret:db", arn{}, false, "service must be secretsmanager"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok, err := secretARN(tt.id)
			checkARN(t, "secretARN", tt.id, got, ok, err, tt.want, tt.ok, tt.wantErr)
		})
	}
}

func checkARN(t *testing.T, fn, in string, got arn, ok bool, err error, want arn, wantOK bool, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !errors.Is(err, ErrMalformedARN) || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s(%q) = %v, %v, %v; want an ErrMalformedARN error containing %q", fn, in, got, ok, err, wantErr)
		}
		if !strings.Contains(err.Error(), "has the form") {
			t.Errorf("%s(%q) error %q does not state the rule", fn, in, err)
		}
		return
	}
	if err != nil || ok != wantOK || got != want {
		t.Fatalf("%s(%q) = %+v, %v, %v; want %+v, %v, nil", fn, in, got, ok, err, want, wantOK)
	}
}

func TestPartitionOf(t *testing.T) {
	tests := map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "": "aws", "local": "aws",
		"cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "us-isof-south-1": "aws-iso-f",
		"eu-isoe-west-1": "aws-iso-e", "eusc-de-east-1": "aws-eusc",
	}
	for region, want := range tests {
		if got := partitionOf(region); got != want {
			t.Errorf("partitionOf(%q) = %q; want %q", region, got, want)
		}
	}
}

// FuzzARN checks that the parsers never panic, that an accepted ARN has a
// region and account of the stated shapes, and that every error states its
// rule.
func FuzzARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:ssm:us-east-1:123456789012:parameter/x:3",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
		"/aws/reference/secretsmanager/arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:v",
		"arn::::::", "arn:aws:ssm:x:y:z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (arn, bool, error){parameterARN, secretARN} {
			a, ok, err := parse(s)
			switch {
			case err != nil:
				if ok || !errors.Is(err, ErrMalformedARN) || !strings.Contains(err.Error(), "has the form") {
					t.Fatalf("parse(%q) = %v, %v; want ok false and a malformed-ARN error stating the rule", s, ok, err)
				}
			case ok:
				if !validRegion(a.region) || !validAccount(a.account) || a.partition == "" {
					t.Fatalf("parse(%q) = %+v; accepted a bad field", s, a)
				}
			}
		}
	})
}

// Routing costs a home-region read nothing but a prefix check, and an ARN
// read no allocation.
func TestARNParseAllocs(t *testing.T) {
	for _, name := range []string{"/app/x", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/x:3",
		"/aws/reference/secretsmanager/arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = parameterARN(name) }); n != 0 {
			t.Errorf("parameterARN(%q) allocates %v times; want 0", name, n)
		}
	}
}
