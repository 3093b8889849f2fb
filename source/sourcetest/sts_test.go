package sourcetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// The fake STS answers the SDK's own AssumeRole provider, and refuses as
// STS does.
func TestSTSAssumeRole(t *testing.T) {
	fake := sourcetest.NewSTS()
	defer fake.Close()
	srv := sourcetest.NewServer()
	defer srv.Close()
	client := sts.NewFromConfig(srv.Config(), func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) })
	const role = "arn:aws:iam::222222222222:role/reader"
	creds, err := stscreds.NewAssumeRoleProvider(client, role, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" }).Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != sourcetest.AccessKeyID(role) || !creds.CanExpire || fake.SessionName() != "s1" || fake.Calls(role) != 1 {
		t.Fatalf("AssumeRole = %+v, %v (session %q, %d calls)", creds, err, fake.SessionName(), fake.Calls(role))
	}
	fake.Refuse(role)
	_, err = stscreds.NewAssumeRoleProvider(client, role).Retrieve(context.Background())
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Fatalf("AssumeRole of a refused role = %v; want AccessDenied", err)
	}
}
