package resolve

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const (
		pARN = "arn:aws:ssm:us-west-2:123456789012:parameter/app/db-host"
		sARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:db-AbCdEf"
	)
	tests := []struct {
		in   string
		want []Reference // nil: not a reference
		lits []string
	}{
		{in: "plain", want: nil},
		{in: "/app/x", want: nil},
		{in: "arn:aws:s3:::bucket", want: nil},
		{in: "arn:aws:ssm:us-east-1:123456789012:document/x", want: nil},
		{in: "ssm:/app/x", want: []Reference{{Kind: KindParameter, Form: FormShort, Name: "/app/x"}}},
		{in: "ssm:plain", want: []Reference{{Kind: KindParameter, Form: FormShort, Name: "plain"}}},
		{in: "ssm:/app/x:3", want: []Reference{{Kind: KindParameter, Form: FormShort, Name: "/app/x", Version: 3}}},
		{in: "ssm:/app/x:prod", want: []Reference{{Kind: KindParameter, Form: FormShort, Name: "/app/x", Label: "prod"}}},
		{in: "ssm:" + pARN + ":2", want: []Reference{{Kind: KindParameter, Form: FormShort, Name: pARN, Version: 2}}},
		{in: pARN, want: []Reference{{Kind: KindParameter, Form: FormARN, Name: pARN}}},
		{in: pARN + ":live", want: []Reference{{Kind: KindParameter, Form: FormARN, Name: pARN, Label: "live"}}},
		{in: "secretsmanager:app/db", want: []Reference{{Kind: KindSecret, Form: FormShort, Name: "app/db"}}},
		{in: "secretsmanager:app/db#password", want: []Reference{{Kind: KindSecret, Form: FormShort, Name: "app/db", JSONKey: "password"}}},
		{in: "secretsmanager:" + sARN + "#password", want: []Reference{{Kind: KindSecret, Form: FormShort, Name: sARN, JSONKey: "password"}}},
		{in: sARN, want: []Reference{{Kind: KindSecret, Form: FormARN, Name: sARN}}},
		{in: sARN + ":password::", want: []Reference{{Kind: KindSecret, Form: FormARN, Name: sARN, JSONKey: "password"}}},
		{in: sARN + "::AWSPREVIOUS:", want: []Reference{{Kind: KindSecret, Form: FormARN, Name: sARN, VersionStage: "AWSPREVIOUS"}}},
		{in: sARN + ":k:AWSCURRENT:01234567-89ab-cdef-0123-456789abcdef", want: []Reference{{Kind: KindSecret, Form: FormARN, Name: sARN,
			JSONKey: "k", VersionStage: "AWSCURRENT", VersionID: "01234567-89ab-cdef-0123-456789abcdef"}}},
		{in: "{{resolve:ssm:/app/x}}", want: []Reference{{Kind: KindParameter, Form: FormCloudFormation, Name: "/app/x"}}, lits: []string{"", ""}},
		{in: "{{resolve:ssm:/app/x:4}}", want: []Reference{{Kind: KindParameter, Form: FormCloudFormation, Name: "/app/x", Version: 4}}},
		{in: "{{resolve:ssm-secure:/app/pw}}", want: []Reference{{Kind: KindParameter, Form: FormCloudFormation, Name: "/app/pw"}}},
		{in: "{{resolve:secretsmanager:db}}", want: []Reference{{Kind: KindSecret, Form: FormCloudFormation, Name: "db"}}},
		{in: "{{resolve:secretsmanager:db:SecretString:password}}", want: []Reference{{Kind: KindSecret, Form: FormCloudFormation, Name: "db", JSONKey: "password"}}},
		{in: "{{resolve:secretsmanager:db:SecretString::AWSPREVIOUS}}", want: []Reference{{Kind: KindSecret, Form: FormCloudFormation, Name: "db", VersionStage: "AWSPREVIOUS"}}},
		{in: "{{resolve:secretsmanager:" + sARN + ":SecretString:password}}", want: []Reference{{Kind: KindSecret, Form: FormCloudFormation, Name: sARN, JSONKey: "password"}}},
		{in: "{{resolve:secretsmanager:" + sARN + "}}", want: []Reference{{Kind: KindSecret, Form: FormCloudFormation, Name: sARN}}},
		{in: "postgres://u:{{resolve:secretsmanager:db:SecretString:password}}@{{resolve:ssm:/db/host}}/app",
			want: []Reference{{Kind: KindSecret, Form: FormCloudFormation, Name: "db", JSONKey: "password"}, {Kind: KindParameter, Form: FormCloudFormation, Name: "/db/host"}},
			lits: []string{"postgres://u:", "@", "/app"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse("VAR", tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error %v; want none", tt.in, err)
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("Parse(%q) = %+v; want nil (not a reference)", tt.in, got.refs)
				}
				return
			}
			if got == nil {
				t.Fatalf("Parse(%q) = nil; want %+v", tt.in, tt.want)
			}
			if len(got.refs) != len(tt.want) {
				t.Fatalf("Parse(%q) = %+v; want %+v", tt.in, got.refs, tt.want)
			}
			for i, r := range got.refs {
				w := tt.want[i]
				if w.Text == "" {
					w.Text = r.Text
				}
				if r != w {
					t.Errorf("Parse(%q) ref %d = %+v; want %+v", tt.in, i, r, w)
				}
				if r.Text == "" || !strings.Contains(tt.in, r.Text) {
					t.Errorf("Parse(%q) ref %d Text %q; want a part of the input", tt.in, i, r.Text)
				}
			}
			if tt.lits != nil && strings.Join(got.lits, "|") != strings.Join(tt.lits, "|") {
				t.Errorf("Parse(%q) literals %q; want %q", tt.in, got.lits, tt.lits)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, rule string }{
		{"ssm:", "parameter name is empty"},
		{"ssm://app/x", "ssm:// is not a form"},
		{"ssm:/app/x:", "selector after the colon is empty"},
		{"ssm:/app/x:0", "must be a positive integer"},
		{"ssm:/app/x:1a", "must be a positive integer"},
		{"ssm:/app x", "' ' at offset 4"},
		{"ssm:/app/x:bad label", "must be 1 to 100"},
		{"secretsmanager:", "secret id is empty"},
		{"secretsmanager:db#", "JSON key after # is empty"},
		{"secretsmanager:d b", "' ' at offset 1"},
		{"secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:db:k#k", "given twice"},
		{"arn:aws:ssm:us-east-1:12345:parameter/x", "12 digits"},
		{"arn:aws:ssm::123456789012:parameter/x", "the region must be"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret", "want 7 to 10"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db:a:b:c:d", "want 7 to 10"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:rotation:db", "resource type must be secret"},
		{"{{resolve:ssm:/x", "no closing }}"},
		{"{{resolve:s3:bucket}}", "is not one of"},
		{"{{resolve:secretsmanager:db:SecretBinary}}", "must be SecretString"},
		{"{{resolve:secretsmanager:db:SecretString:a:b:c:d}}", "too many fields"},
		{"x{{resolve:ssm:}}y", "parameter name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse("MY_VAR", tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error %v; want a *SyntaxError", tt.in, err)
			}
			if se.Var != "MY_VAR" || !strings.Contains(se.Rule, tt.rule) || !strings.Contains(err.Error(), "MY_VAR") {
				t.Errorf("Parse(%q) error %q (rule %q); want it to name MY_VAR and say %q", tt.in, err, se.Rule, tt.rule)
			}
		})
	}
}

// TestParseEmbeddedErrorHoldsNoLiteral: a malformed reference embedded in a
// string that holds a password reports the reference, not the string.
func TestParseEmbeddedErrorHoldsNoLiteral(t *testing.T) {
	const canary = "CANARY-hunter2"
	_, err := Parse("DSN", "postgres://u:"+canary+"@{{resolve:ssm:bad name}}/db")
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("Parse error %v; want an error without the literal text", err)
	}
}

func TestBareARNsInEnvNeedOptIn(t *testing.T) {
	for _, v := range []string{"arn:aws:ssm:us-east-1:123456789012:parameter/x", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"} {
		if got, err := parse("V", v, false); got != nil || err != nil {
			t.Errorf("parse(%q, arns=false) = %v, %v; want nil, nil", v, got, err)
		}
		if got, err := parse("V", v, true); got == nil || err != nil {
			t.Errorf("parse(%q, arns=true) = %v, %v; want a reference", v, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ssm:/a:1", "secretsmanager:a#k", "{{resolve:secretsmanager:a:SecretString:k::}}",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:a:k:s:i", "arn:aws:ssm:us-east-1:123456789012:parameter/a:l",
		"x{{resolve:ssm:a}}y{{resolve:ssm-secure:b:2}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := Parse("V", s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Var != "V" {
				t.Fatalf("Parse(%q) error %v; want a *SyntaxError naming V", s, err)
			}
			return
		}
		if tpl == nil {
			return
		}
		if len(tpl.lits) != len(tpl.refs)+1 {
			t.Fatalf("Parse(%q): %d literals for %d references", s, len(tpl.lits), len(tpl.refs))
		}
		vals := make([]string, len(tpl.refs))
		for i, r := range tpl.refs {
			if r.Kind != KindParameter && r.Kind != KindSecret || r.Name == "" {
				t.Fatalf("Parse(%q) ref %d = %+v; want a kind and a name", s, i, r)
			}
			vals[i] = r.Text
		}
		if got := tpl.expand(vals); got != s {
			t.Fatalf("Parse(%q): expanding with the texts gives %q", s, got)
		}
	})
}

// TestParseUnclosedHoldsNoText: an unclosed {{resolve: names its offset,
// not the text after it, which may be anything.
func TestParseUnclosedHoldsNoText(t *testing.T) {
	const canary = "CANARY-after"
	_, err := Parse("DSN", "x{{resolve:ssm:/db/host "+canary)
	if err == nil || strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "offset 1") {
		t.Fatalf("Parse error %v; want one naming offset 1 without the text", err)
	}
}
