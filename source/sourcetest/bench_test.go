package sourcetest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// BenchmarkGetParameter measures one GetParameter round trip through the
// real SDK client over a kept-alive loopback connection.
func BenchmarkGetParameter(b *testing.B) {
	s := sourcetest.NewServer()
	defer s.Close()
	if _, err := s.PutParameter(sourcetest.Parameter{Name: "/bench/p", Value: "v"}); err != nil {
		b.Fatal(err)
	}
	c := s.SSM()
	in := &ssm.GetParameterInput{Name: aws.String("/bench/p")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetParameter(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}
