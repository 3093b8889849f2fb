package sourcetest_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// Example seeds a parameter without the SDK, then reads it through the real
// SSM client over HTTP.
func Example() {
	s := sourcetest.NewServer()
	defer s.Close()

	if _, err := s.PutParameter(sourcetest.Parameter{Name: "/app/greeting", Value: "hello"}); err != nil {
		panic(err)
	}
	if _, err := s.PutParameter(sourcetest.Parameter{Name: "/app/greeting", Value: "hello again"}); err != nil {
		panic(err)
	}

	out, err := s.SSM().GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/greeting:1")})
	if err != nil {
		panic(err)
	}
	fmt.Println(*out.Parameter.Value, out.Parameter.Version, *out.Parameter.Selector)
	fmt.Println(s.Calls("GetParameter"))
	// Output:
	// hello 1 :1
	// 1
}

// ExampleServer_Inject makes the next read of one parameter fail with
// throttling.
func ExampleServer_Inject() {
	s := sourcetest.NewServer()
	defer s.Close()
	_, _ = s.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "v"})
	s.Inject(sourcetest.Fault{Op: "GetParameter", Name: "/app/x", Code: "ThrottlingException", Times: 1})

	c := s.SSM()
	_, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/x")})
	fmt.Println(code(err))
	out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/x")})
	fmt.Println(*out.Parameter.Value, err)
	// Output:
	// ThrottlingException
	// v <nil>
}
