package awsname_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/internal/awsname"
)

func TestRoleARN(t *testing.T) {
	for _, s := range []string{"arn:aws:iam::123456789012:role/reader", "arn:aws-cn:iam::123456789012:role/path/to/r+=,.@_-"} {
		a, err := awsname.RoleARN(s)
		if err != nil || a.Account != "123456789012" || a.Partition == "" {
			t.Errorf("RoleARN(%q) = %+v, %v", s, a, err)
		}
	}
	for s, problem := range map[string]string{
		"reader":                                                      "want 6",
		"arn:aws:iam::123456789012:role/a:b":                          "7 colon-separated fields",
		"arn::iam::123456789012:role/r":                               "partition is empty",
		"arn:aws:sts::123456789012:role/r":                            "service must be iam",
		"arn:aws:iam:us-east-1:123456789012:role/r":                   "region must be empty",
		"arn:aws:iam::42:role/r":                                      "12 digits",
		"arn:aws:iam::123456789012:user/r":                            "role/NAME",
		"arn:aws:iam::123456789012:role/":                             "role/NAME",
		"arn:aws:iam::123456789012:role/p/":                           "role/NAME",
		"arn:aws:iam::123456789012:role/r x":                          "letters, digits",
		"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 2048): "longer than 2048",
	} {
		_, err := awsname.RoleARN(s)
		var ae *awsname.ARNError
		if !errors.As(err, &ae) || ae.Rule != awsname.RoleARNRule || !strings.Contains(ae.Problem, problem) {
			t.Errorf("RoleARN(%q) = %v; want %q", s, err, problem)
		}
	}
}
