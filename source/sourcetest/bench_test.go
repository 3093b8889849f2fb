package sourcetest_test

import (
	"io"
	"net/http"
	"strings"
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

// BenchmarkGetParameterRaw measures the server alone: one GetParameter
// as raw HTTP over a kept-alive connection, without the SDK.
func BenchmarkGetParameterRaw(b *testing.B) {
	s := sourcetest.NewServer()
	defer s.Close()
	if _, err := s.PutParameter(sourcetest.Parameter{Name: "/bench/p", Value: "v"}); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(b.Context(), "POST", s.URL, strings.NewReader(`{"Name":"/bench/p"}`))
		req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
