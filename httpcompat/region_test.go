package httpcompat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// regionServers is an endpoint resolver for both services that sends each
// region to the fake of that region.
type regionServers map[string]*sourcetest.Server

func (r regionServers) endpoint(region string) (smithyendpoints.Endpoint, error) {
	s, ok := r[region]
	if !ok {
		return smithyendpoints.Endpoint{}, errors.New("no endpoint for region " + region)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

type regionSSMResolver struct{ regionServers }

func (r regionSSMResolver) ResolveEndpoint(_ context.Context, p ssm.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return r.endpoint(aws.ToString(p.Region))
}

type regionSMResolver struct{ regionServers }

func (r regionSMResolver) ResolveEndpoint(_ context.Context, p secretsmanager.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return r.endpoint(aws.ToString(p.Region))
}

// The HTTP API reads ARNs of another region through a cache whose clients
// route by region; the extension would ask its own region.
func TestHandlerReadsAnotherRegion(t *testing.T) {
	east := sourcetest.NewServer()
	t.Cleanup(east.Close)
	west := sourcetest.NewServer(sourcetest.WithRegion("eu-north-1"), sourcetest.WithAccount("222222222222"))
	t.Cleanup(west.Close)
	const (
		westParam  = "arn:aws:ssm:eu-north-1:222222222222:parameter/app/x"
		westSecret = "arn:aws:secretsmanager:eu-north-1:222222222222:secret:db-AbCdEf"
	)
	for _, s := range []struct {
		srv    *sourcetest.Server
		region string
		arn    string
	}{{east, "us-east-1", ""}, {west, "eu-north-1", westSecret}} {
		if _, err := s.srv.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "x@" + s.region}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.srv.CreateSecret(sourcetest.Secret{Name: "db", ARN: s.arn}, sourcetest.SecretVersion{String: aws.String("db@" + s.region)}); err != nil {
			t.Fatal(err)
		}
	}
	rs := regionServers{"us-east-1": east, "eu-north-1": west}
	src := source.New(east.Config(),
		source.WithSSMOptions(func(o *ssm.Options) { o.EndpointResolverV2 = regionSSMResolver{rs} }),
		source.WithSecretsManagerOptions(func(o *secretsmanager.Options) { o.EndpointResolverV2 = regionSMResolver{rs} }))
	h, err := NewHandler(newCache(t, src), WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}

	ok := []struct {
		target string
		field  func(map[string]any) any
		want   string
	}{
		{"/systemsmanager/parameters/get?name=" + url.QueryEscape(westParam), parameterValueOf, "x@eu-north-1"},
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fx", parameterValueOf, "x@us-east-1"},
		{"/secretsmanager/get?secretId=" + url.QueryEscape(westSecret), secretStringOf, "db@eu-north-1"},
		{"/secretsmanager/get?secretId=db", secretStringOf, "db@us-east-1"},
	}
	for _, tt := range ok {
		east.ResetCounters()
		west.ResetCounters()
		w := serve(h, request(http.MethodGet, tt.target, testToken))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s; want 200", tt.target, w.Code, w.Body)
		}
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if got := tt.field(body); got != tt.want {
			t.Errorf("GET %s value = %v; want %q", tt.target, got, tt.want)
		}
		wantWest, wantEast := 1, 0
		if strings.HasSuffix(tt.want, "us-east-1") {
			wantWest, wantEast = 0, 1
		}
		if west.Calls("") != wantWest || east.Calls("") != wantEast {
			t.Errorf("GET %s: calls eu-north-1, us-east-1 = %d, %d; want %d, %d", tt.target, west.Calls(""), east.Calls(""), wantWest, wantEast)
		}
	}

	bad := []struct {
		target, code, text string
	}{
		{"/systemsmanager/parameters/get?name=" + url.QueryEscape("arn:aws:ssm:eu-north-1:222222222222:x"), "InvalidARN", "parameter/NAME"},
		{"/secretsmanager/get?secretId=" + url.QueryEscape("arn:aws-cn:secretsmanager:cn-north-1:222222222222:secret:db"), "PartitionMismatch", "aws-cn"},
	}
	for _, tt := range bad {
		east.ResetCounters()
		west.ResetCounters()
		w := serve(h, request(http.MethodGet, tt.target, testToken))
		e := errorOf(t, w) // the extension's body; the detail in parsec's headers
		if w.Code != http.StatusBadRequest || e.Type != tt.code || !strings.Contains(e.Message, tt.text) {
			t.Errorf("GET %s = %d %+v; want 400 %s naming %q", tt.target, w.Code, e, tt.code, tt.text)
		}
		if n := east.Calls("") + west.Calls(""); n != 0 {
			t.Errorf("GET %s: upstream calls = %d; want 0", tt.target, n)
		}
	}
}

func parameterValueOf(body map[string]any) any {
	p, _ := body["Parameter"].(map[string]any)
	return p["Value"]
}

func secretStringOf(body map[string]any) any { return body["SecretString"] }
