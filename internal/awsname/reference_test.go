package awsname

import "testing"

const (
	testParamARN  = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"
	testSecretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/s-AbC123"
	testPartial   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/s"
)

func TestSplitSelector(t *testing.T) {
	tests := []struct {
		name, base, sel string
		ok              bool
	}{
		{"/app/db", "/app/db", "", false},
		{"/app/db:3", "/app/db", "3", true},
		{"db:prod", "db", "prod", true},
		{"db:", "db", "", true},
		{"ARN:aws:ssm:r:a:parameter/x:3", "ARN", "aws:ssm:r:a:parameter/x:3", true}, // not an ARN: lowercase only
		{testParamARN, testParamARN, "", false},
		{testParamARN + ":3", testParamARN, "3", true},
		{testParamARN + ":prod", testParamARN, "prod", true},
		{"arn:aws:secretsmanager:r:a:secret:x", "arn:aws:secretsmanager:r:a:secret:x", "", false}, // no parameter/: no selector
		{ReferencePrefix + "app/s", ReferencePrefix + "app/s", "", false},
		{ReferencePrefix + "app/s:AWSPREVIOUS", ReferencePrefix + "app/s", "AWSPREVIOUS", true},
		{ReferencePrefix + testSecretARN, ReferencePrefix + testSecretARN, "", false},
		{ReferencePrefix + testSecretARN + ":AWSPREVIOUS", ReferencePrefix + testSecretARN, "AWSPREVIOUS", true},
		{ReferencePrefix + testPartial + ":0123", ReferencePrefix + testPartial, "0123", true},
		{ReferencePrefix + "arn:aws:secretsmanager", ReferencePrefix + "arn:aws:secretsmanager", "", false},
	}
	for _, tt := range tests {
		base, sel, ok := SplitSelector(tt.name)
		if base != tt.base || sel != tt.sel || ok != tt.ok {
			t.Errorf("SplitSelector(%q) = %q, %q, %v; want %q, %q, %v", tt.name, base, sel, ok, tt.base, tt.sel, tt.ok)
		}
	}
}

func TestReferencedSecret(t *testing.T) {
	tests := []struct {
		name, id string
		ok       bool
	}{
		{"/app/db", "", false},
		{"/aws/reference/secretsmanage/db", "", false},
		{ReferencePrefix + "db", "db", true},
		{ReferencePrefix + "db:AWSPENDING", "db", true},
		{ReferencePrefix + testSecretARN + ":v1", testSecretARN, true},
		{ReferencePrefix + testPartial, testPartial, true},
	}
	for _, tt := range tests {
		id, ok := ReferencedSecret(tt.name)
		if id != tt.id || ok != tt.ok {
			t.Errorf("ReferencedSecret(%q) = %q, %v; want %q, %v", tt.name, id, ok, tt.id, tt.ok)
		}
		if IsReference(tt.name) != tt.ok {
			t.Errorf("IsReference(%q) = %v; want %v", tt.name, !tt.ok, tt.ok)
		}
	}
}
