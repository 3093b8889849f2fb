package httpcompat

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestCloudGetParametersByPath pages GetParametersByPath with the SDK's
// own paginator through POST /parameterstore, over the wire-level fake:
// every parameter once, in SSM's order, in pages of MaxResults; the
// listing is read upstream once and the next full pagination is served
// from the cache. GetParameters goes upstream as one batch call, lists
// the missing name, and later single reads of its names are hits.
func TestCloudGetParametersByPath(t *testing.T) {
	up := sourcetest.NewServer()
	defer up.Close()
	const n = 25
	for i := range n {
		if _, err := up.PutParameter(sourcetest.Parameter{Name: fmt.Sprintf("/app/p%02d", i), Value: fmt.Sprintf("v%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.PutParameter(sourcetest.Parameter{Name: "/app/deep/x", Value: "deep"}); err != nil {
		t.Fatal(err)
	}
	h, err := NewCloudExtensions(newCache(t, up.Clients()), WithExtensionKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := sdkSSM(srv, testKey)
	ctx := context.Background()

	for round := range 2 {
		pages := 0
		var names []string
		p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(7)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("round %d: GetParametersByPath page %d: %v", round, pages, err)
			}
			if len(out.Parameters) > 7 {
				t.Errorf("round %d: page of %d; want at most 7", round, len(out.Parameters))
			}
			pages++
			for _, prm := range out.Parameters {
				names = append(names, aws.ToString(prm.Name))
			}
		}
		if pages != 4 || len(names) != n || names[0] != "/app/p00" || names[n-1] != "/app/p24" {
			t.Errorf("round %d: %d pages, %d names (%v); want 4 pages of the 25 direct children in order", round, pages, len(names), names)
		}
		if calls := up.CallsFor("GetParametersByPath", "/app"); calls != 3 {
			t.Errorf("round %d: %d upstream GetParametersByPath calls; want 3 (one listing, in SSM's pages of 10)", round, calls)
		}
	}
	out, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), Recursive: aws.Bool(true)})
	if err != nil || len(out.Parameters) != 10 || out.NextToken == nil {
		t.Errorf("recursive first page = %v, %v; want 10 and a NextToken", out, err)
	}
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("bogus")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidNextToken" {
		t.Errorf("a bogus NextToken = %v; want InvalidNextToken", err)
	}

	many, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/p01", "/app/nope", "/app/p02"}})
	if err != nil || len(many.Parameters) != 2 || len(many.InvalidParameters) != 1 || many.InvalidParameters[0] != "/app/nope" {
		t.Fatalf("GetParameters = %+v, %v; want two and /app/nope invalid", many, err)
	}
	before := up.Calls("GetParameter") + up.Calls("GetParameters")
	for _, name := range []string{"/app/p01", "/app/p02"} {
		if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if after := up.Calls("GetParameter") + up.Calls("GetParameters"); after != before {
		t.Errorf("GetParameter after GetParameters made %d upstream calls; want 0 (one cache for both)", after-before)
	}
}
