package sdkcache_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// FuzzPathPage drives GetParametersByPath through the middleware with any
// NextToken and MaxResults: it never panics, a page it serves has at most
// MaxResults parameters, and a token it issues continues the listing.
func FuzzPathPage(f *testing.F) {
	f.Add("", int32(0))
	f.Add("parsec1.3", int32(2))
	f.Add("parsec1.-1", int32(10))
	f.Add("parsec1.99999999999999999999", int32(1))
	f.Add("AAAA", int32(11))
	srv, cfg, _ := setup(f)
	for i := range 12 {
		seed(f, srv, fmt.Sprintf("/f/p%02d", i), "v")
	}
	client := ssm.NewFromConfig(cfg)
	f.Fuzz(func(t *testing.T, token string, size int32) {
		in := &ssm.GetParametersByPathInput{Path: aws.String("/f"), Recursive: aws.Bool(true)}
		if token != "" {
			in.NextToken = aws.String(token)
		}
		if size != 0 {
			in.MaxResults = aws.Int32(size)
		}
		out, err := client.GetParametersByPath(ctx, in)
		if err != nil {
			return // upstream's own validation error
		}
		limit := 10
		if size > 0 {
			limit = int(size)
		}
		if len(out.Parameters) > limit {
			t.Fatalf("page of %d; MaxResults %d", len(out.Parameters), size)
		}
		if next := aws.ToString(out.NextToken); strings.HasPrefix(next, "parsec1.") {
			in.NextToken = out.NextToken
			if _, err := client.GetParametersByPath(ctx, in); err != nil {
				t.Fatalf("next page with our token %q: %v", next, err)
			}
		}
	})
}
