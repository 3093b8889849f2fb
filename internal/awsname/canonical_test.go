package awsname

import "testing"

func TestCanonicalParameter(t *testing.T) {
	tests := []struct {
		name, form string
		secret     bool
	}{
		{"/app/db", "/app/db", false},
		{"/app/db:3", "/app/db", false},
		{"/app/db:prod", "/app/db", false},
		{testParamARN, "/app/db", false},
		{testParamARN + ":7", "/app/db", false},
		{"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/app/db", "/app/db", false},
		{"db", "/db", false},
		{"db:1", "/db", false},
		{"/db", "/db", false},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/db", "/db", false},
		{"arn:aws:ssm:us-east-1:1:parameter/db", "arn:aws:ssm:us-east-1:1:parameter/db", false}, // malformed: itself
		{ReferencePrefix + "app/s", "app/s", true},
		{ReferencePrefix + "app/s:AWSPREVIOUS", "app/s", true},
		{ReferencePrefix + testSecretARN + ":AWSPREVIOUS", "app/s", true},
		{ReferencePrefix + testPartial, "app/s", true},
	}
	for _, tt := range tests {
		form, secret := CanonicalParameter(tt.name)
		if form != tt.form || secret != tt.secret {
			t.Errorf("CanonicalParameter(%q) = %q, %v; want %q, %v", tt.name, form, secret, tt.form, tt.secret)
		}
	}
}

func TestCanonicalSecret(t *testing.T) {
	tests := map[string]string{
		"app/s":       "app/s",
		testSecretARN: "app/s",
		testPartial:   "app/s",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf-Qwe123": "db", // name "db-AbCdEf", full ARN
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf":        "db", // its partial ARN (or db's full one)
		"db-AbCdEf": "db",
		"db-abc12":  "db-abc12",
		"arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf": "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf", // malformed: itself
	}
	for id, want := range tests {
		if got := CanonicalSecret(id); got != want {
			t.Errorf("CanonicalSecret(%q) = %q; want %q", id, got, want)
		}
	}
}

func TestStripSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"db-AbC123": "db", "db-abc12": "db-abc12", "db-abc12!": "db-abc12!", "x": "x", "-abcdef": "-abcdef", "a-abcdef": "a",
		"a-AbCdEf-123456": "a-AbCdEf", "a_abcdef": "a_abcdef",
	} {
		if got := StripSuffix(in); got != want {
			t.Errorf("StripSuffix(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{"/": "/", "/app": "/app", "/app/": "/app", "/app//": "/app", "//": "/"} {
		if got := CanonicalPath(in); got != want {
			t.Errorf("CanonicalPath(%q) = %q; want %q", in, got, want)
		}
	}
}
