package awsname

import (
	"errors"
	"strings"
	"testing"
)

func TestParameterARN(t *testing.T) {
	tests := []struct {
		name    string
		want    ARN
		ok      bool
		wantErr string // a part of the error's text; "" for no error
	}{
		{"/app/x", ARN{}, false, ""},
		{"x:3", ARN{}, false, ""},
		{ReferencePrefix + "db", ARN{}, false, ""},
		{"ARN:aws:ssm:us-east-1:123456789012:parameter/x", ARN{}, false, ""},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/x", ARN{"aws", "us-east-1", "123456789012", "x"}, true, ""},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/x:3", ARN{"aws", "eu-west-1", "123456789012", "app/x"}, true, ""},
		{"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", ARN{"aws-cn", "cn-north-1", "123456789012", "x"}, true, ""},
		{ReferencePrefix + testSecretARN, ARN{"aws", "eu-west-1", "123456789012", "app/s-AbC123"}, true, ""},
		{ReferencePrefix + testSecretARN + ":AWSPREVIOUS", ARN{"aws", "eu-west-1", "123456789012", "app/s-AbC123"}, true, ""},

		{"arn:", ARN{}, false, "2 colon-separated fields, at least 6"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/x:1:2", ARN{}, false, "at most 7"},
		{"arn::ssm:us-east-1:123456789012:parameter/x", ARN{}, false, "partition is empty"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:parameter/x", ARN{}, false, "service must be ssm"},
		{"arn:aws:ssm:us-east-1.evil.example:123456789012:parameter/x", ARN{}, false, "region must be"},
		{"arn:aws:ssm:us-east-1:12345678901x:parameter/x", ARN{}, false, "account must be 12 digits"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/", ARN{}, false, "resource must be parameter/NAME"},
		{ReferencePrefix + "arn:aws:secretsmanager:us-east-1:123456789012:secret:db:v:w", ARN{}, false, "at most 8"},
		{ReferencePrefix + "arn:aws:secretsmanager:us-east-1:123456789012:parameter:db", ARN{}, false, "resource type must be secret"},
	}
	for _, tt := range tests {
		got, ok, err := ParameterARN(tt.name)
		checkARN(t, "ParameterARN", tt.name, got, ok, err, tt.want, tt.ok, tt.wantErr)
	}
}

func TestSecretARN(t *testing.T) {
	tests := []struct {
		id      string
		want    ARN
		ok      bool
		wantErr string
	}{
		{"db", ARN{}, false, ""},
		{testSecretARN, ARN{"aws", "eu-west-1", "123456789012", "app/s-AbC123"}, true, ""},
		{testPartial, ARN{"aws", "eu-west-1", "123456789012", "app/s"}, true, ""},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret", ARN{}, false, "at least 7"},
		{testSecretARN + ":AWSCURRENT", ARN{}, false, "at most 7"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:", ARN{}, false, "secret name is empty"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:key:db", ARN{}, false, "resource type must be secret"},
		{"arn:aws:ssm:eu-west-1:123456789012:secret:db", ARN{}, false, "service must be secretsmanager"},
	}
	for _, tt := range tests {
		got, ok, err := SecretARN(tt.id)
		checkARN(t, "SecretARN", tt.id, got, ok, err, tt.want, tt.ok, tt.wantErr)
	}
}

func checkARN(t *testing.T, fn, in string, got ARN, ok bool, err error, want ARN, wantOK bool, wantErr string) {
	t.Helper()
	if wantErr != "" {
		var ae *ARNError
		if !errors.As(err, &ae) || ok || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), "has the form") {
			t.Errorf("%s(%q) = %+v, %v, %v; want an *ARNError stating the rule and %q", fn, in, got, ok, err, wantErr)
		}
		return
	}
	if err != nil || ok != wantOK || got != want {
		t.Errorf("%s(%q) = %+v, %v, %v; want %+v, %v, nil", fn, in, got, ok, err, want, wantOK)
	}
}

func TestPartitionOf(t *testing.T) {
	tests := map[string]string{
		"us-east-1": "aws", "": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "us-isof-south-1": "aws-iso-f",
		"eu-isoe-west-1": "aws-iso-e", "eusc-de-east-1": "aws-eusc",
	}
	for region, want := range tests {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %q; want %q", region, got, want)
		}
	}
}

// The parsers and the text check allocate nothing on success: they run on
// every read, hits included.
func TestParseAllocs(t *testing.T) {
	for _, name := range []string{"/app/x", testParamARN + ":3", ReferencePrefix + testSecretARN + ":AWSPREVIOUS"} {
		if n := testing.AllocsPerRun(100, func() {
			_, _, _ = ParameterARN(name)
			_, _, _ = SplitSelector(name)
			_, _ = ReferencedSecret(name)
			_ = CheckText(name)
		}); n != 0 {
			t.Errorf("parsing %q allocates %v times; want 0", name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = CanonicalSecret(testSecretARN) }); n != 0 {
		t.Errorf("CanonicalSecret allocates %v times; want 0", n)
	}
}
