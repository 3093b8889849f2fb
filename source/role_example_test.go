package source_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// ExampleWithRole reads a secret through an IAM role: the role is assumed
// once with STS (here sourcetest's fake, against AWS the SDK's own STS
// endpoint), its credentials cached; a role STS refuses is ErrAccessDenied
// with STS's code.
func ExampleWithRole() {
	srv := sourcetest.NewServer()
	defer srv.Close()
	fake := sourcetest.NewSTS()
	defer fake.Close()
	_, _ = srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("pw")})
	cl := source.New(srv.Config(), source.WithSTSOptions(func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) }))

	const role = "arn:aws:iam::222222222222:role/reader"
	ctx := source.WithRole(context.Background(), role)
	for range 3 {
		if _, err := cl.ReadSecret(ctx, "db", "", ""); err != nil {
			panic(err)
		}
	}
	fmt.Println(fake.Calls(role), fake.SessionName())

	fake.Refuse("arn:aws:iam::222222222222:role/other")
	_, err := cl.ReadSecret(source.WithRole(context.Background(), "arn:aws:iam::222222222222:role/other"), "db", "", "")
	var e *source.Error
	fmt.Println(errors.Is(err, source.ErrAccessDenied), errors.As(err, &e) && e.Code == "AccessDenied")
	// Output:
	// 1 parsec
	// true true
}
