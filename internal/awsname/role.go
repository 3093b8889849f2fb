package awsname

import (
	"strconv"
	"strings"
)

// RoleARNRule is the shape of the IAM role ARNs parsec assumes, as the
// errors state it.
const RoleARNRule = "a role ARN has the form arn:PARTITION:iam::ACCOUNT:role/NAME (or role/PATH/NAME)"

// maxRoleARN is IAM's bound on a role ARN's length.
const maxRoleARN = 2048

// RoleARN checks an IAM role ARN, arn:PARTITION:iam::ACCOUNT:role/NAME
// with an optional path (role/PATH/NAME), and returns its partition and
// account (Region and Name empty). A role name has letters, digits and
// +=,.@_- only, as IAM's; a path adds "/". Anything else is an
// [*ARNError] with [RoleARNRule].
func RoleARN(s string) (ARN, error) {
	if n := strings.Count(s, ":") + 1; n != 6 || !strings.HasPrefix(s, arnPrefix) {
		return ARN{}, &ARNError{RoleARNRule, strconv.Itoa(n) + " colon-separated fields starting with arn, want 6"}
	}
	a := ARN{Partition: field(s, 1), Account: field(s, 4)}
	res := field(s, 5)
	name, isRole := strings.CutPrefix(res, "role/")
	switch {
	case a.Partition == "":
		return ARN{}, &ARNError{RoleARNRule, "the partition is empty"}
	case field(s, 2) != "iam":
		return ARN{}, &ARNError{RoleARNRule, "the service must be iam"}
	case field(s, 3) != "":
		return ARN{}, &ARNError{RoleARNRule, "the region must be empty"}
	case !ValidAccount(a.Account):
		return ARN{}, &ARNError{RoleARNRule, "the account must be 12 digits"}
	case !isRole || name == "" || strings.HasSuffix(name, "/"):
		return ARN{}, &ARNError{RoleARNRule, "the resource must be role/NAME"}
	case len(s) > maxRoleARN:
		return ARN{}, &ARNError{RoleARNRule, "longer than " + strconv.Itoa(maxRoleARN) + " characters"}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+=,.@_-/", c) >= 0) {
			return ARN{}, &ARNError{RoleARNRule, "a role name has letters, digits and +=,.@_- only"}
		}
	}
	return a, nil
}
