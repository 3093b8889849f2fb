package source_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// ssmResolver and smResolver send each region to the fake of that region,
// and any other region to fallback (empty: fail).
type ssmResolver struct {
	urls     map[string]string
	fallback string
}

func (r ssmResolver) ResolveEndpoint(_ context.Context, p ssm.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return resolve(r.urls, r.fallback, aws.ToString(p.Region))
}

type smResolver struct {
	urls     map[string]string
	fallback string
}

func (r smResolver) ResolveEndpoint(_ context.Context, p secretsmanager.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return resolve(r.urls, r.fallback, aws.ToString(p.Region))
}
func resolve(urls map[string]string, fallback, region string) (smithyendpoints.Endpoint, error) {
	s, ok := urls[region]
	if !ok {
		s = fallback
	}
	if s == "" {
		return smithyendpoints.Endpoint{}, fmt.Errorf("no endpoint for region %q", region)
	}
	u, err := url.Parse(s)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// byRegion returns options that route every region of servers to its
// server through EndpointResolverV2, and other regions to fallback.
func byRegion(fallback *sourcetest.Server, servers map[string]*sourcetest.Server) []source.Option {
	urls := map[string]string{}
	for r, s := range servers {
		urls[r] = s.URL
	}
	fb := ""
	if fallback != nil {
		fb = fallback.URL
	}
	return []source.Option{
		source.WithSSMOptions(func(o *ssm.Options) { o.EndpointResolverV2 = ssmResolver{urls, fb} }),
		source.WithSecretsManagerOptions(func(o *secretsmanager.Options) { o.EndpointResolverV2 = smResolver{urls, fb} }),
	}
}

const (
	eastAccount = "123456789012"
	westAccount = "222222222222"
	westParam   = "arn:aws:ssm:eu-west-1:" + westAccount + ":parameter/app/x"
	westSecret  = "arn:aws:secretsmanager:eu-west-1:" + westAccount + ":secret:db-AbCdEf"
	eastParam   = "arn:aws:ssm:us-east-1:" + eastAccount + ":parameter/app/x"
)

// twoRegions starts a fake in us-east-1 (account 123456789012, the
// clients' home) and one in eu-west-1 (account 222222222222), each holding
// /app/x, /app/same and the secret db with its own values, and returns
// clients of the first whose endpoint resolver knows both.
func twoRegions(t *testing.T, opts ...source.Option) (east, west *sourcetest.Server, cl source.Clients) {
	t.Helper()
	east = sourcetest.NewServer()
	t.Cleanup(east.Close)
	west = sourcetest.NewServer(sourcetest.WithRegion("eu-west-1"), sourcetest.WithAccount(westAccount))
	t.Cleanup(west.Close)
	for _, s := range []struct {
		srv       *sourcetest.Server
		region    string
		secretARN string
	}{{east, "us-east-1", ""}, {west, "eu-west-1", westSecret}} {
		for _, name := range []string{"/app/x", "/app/same"} {
			if _, err := s.srv.PutParameter(sourcetest.Parameter{Name: name, Value: name + "@" + s.region}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.srv.CreateSecret(sourcetest.Secret{Name: "db", ARN: s.secretARN},
			sourcetest.SecretVersion{String: aws.String("db@" + s.region)}); err != nil {
			t.Fatal(err)
		}
	}
	opts = append(byRegion(nil, map[string]*sourcetest.Server{"us-east-1": east, "eu-west-1": west}), opts...)
	return east, west, source.New(east.Config(), opts...)
}
func TestRouteByARN(t *testing.T) {
	ctx := context.Background()
	east, west, cl := twoRegions(t)
	param := func(name string, decrypt bool) (string, error) {
		out, err := cl.Parameter.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Parameter.Value), nil
	}
	secret := func(id string) (string, error) {
		out, err := cl.Secret.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SecretString), nil
	}
	tests := []struct {
		name   string
		read   func() (string, error)
		want   string
		server *sourcetest.Server // the one that must get the call
		op     string
	}{
		{"parameter by name", func() (string, error) { return param("/app/x", false) }, "/app/x@us-east-1", east, "GetParameter"},
		{"parameter by home ARN", func() (string, error) { return param(eastParam, false) }, "/app/x@us-east-1", east, "GetParameter"},
		{"parameter by ARN of another region and account", func() (string, error) { return param(westParam, false) }, "/app/x@eu-west-1", west, "GetParameter"},
		{"with a selector", func() (string, error) { return param(westParam+":1", false) }, "/app/x@eu-west-1", west, "GetParameter"},
		{"reference by name", func() (string, error) { return param("/aws/reference/secretsmanager/db", true) }, "db@us-east-1", east, "GetParameter"},
		{"reference by secret ARN of another region", func() (string, error) {
			return param("/aws/reference/secretsmanager/"+westSecret, true)
		}, "db@eu-west-1", west, "GetParameter"},
		{"secret by name", func() (string, error) { return secret("db") }, "db@us-east-1", east, "GetSecretValue"},
		{"secret by ARN of another region", func() (string, error) { return secret(westSecret) }, "db@eu-west-1", west, "GetSecretValue"},
		{"secret by partial ARN", func() (string, error) {
			return secret(strings.TrimSuffix(westSecret, "-AbCdEf"))
		}, "db@eu-west-1", west, "GetSecretValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			east.ResetCounters()
			west.ResetCounters()
			got, err := tt.read()
			if err != nil || got != tt.want {
				t.Fatalf("read = %q, %v; want %q", got, err, tt.want)
			}
			other := east
			if tt.server == east {
				other = west
			}
			if n := tt.server.Calls(tt.op); n != 1 {
				t.Errorf("%s calls to the right region = %d; want 1", tt.op, n)
			}
			if n := other.Calls(""); n != 0 {
				t.Errorf("calls to the other region = %d; want 0", n)
			}
		})
	}
}

// A cross-account ARN of the home region goes, unchanged, to the home
// client: the fake, like AWS without a share, does not know it.
func TestRouteCrossAccountHomeRegion(t *testing.T) {
	east, west, cl := twoRegions(t)
	name := "arn:aws:ssm:us-east-1:999999999999:parameter/app/x"
	_, err := cl.Parameter.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
	if !errors.Is(err, source.ErrNotFound) && !errors.Is(source.Classify("GetParameter", name, err), source.ErrNotFound) {
		t.Fatalf("GetParameter(%q) = %v; want the home service's ParameterNotFound", name, err)
	}
	if east.CallsFor("GetParameter", name) != 1 || west.Calls("") != 0 {
		t.Fatalf("calls: home %d naming the ARN, other region %d; want 1, 0", east.CallsFor("GetParameter", name), west.Calls(""))
	}
}
func TestRouteLocalErrors(t *testing.T) {
	ctx := context.Background()
	east, west, cl := twoRegions(t)
	getParameter := func(name string) error {
		_, err := cl.Parameter.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		return err
	}
	getParameters := func(name string) error {
		_, err := cl.Parameters.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/x", westParam, name}})
		return err
	}
	getSecret := func(id string) error {
		_, err := cl.Secret.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		return err
	}
	batchSecrets := func(id string) error {
		_, err := cl.SecretBatch.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"db", id}})
		return err
	}
	tests := []struct {
		name  string
		read  func(string) error
		arg   string
		code  string
		cause error
		text  string // in the message
	}{
		{"malformed parameter ARN", getParameter, "arn:aws:ssm:eu-west-1:" + westAccount + ":app/x", "InvalidARN", source.ErrMalformedARN, "parameter/NAME"},
		{"malformed in a batch", getParameters, "arn:aws:ssm:eu-west-1:42:parameter/x", "InvalidARN", source.ErrMalformedARN, "12 digits"},
		{"malformed secret ARN", getSecret, "arn:aws:secretsmanager:eu-west-1:" + westAccount + ":db", "InvalidARN", source.ErrMalformedARN, "at least 7"},
		{"malformed secret in a batch", batchSecrets, "arn:aws:ssm:eu-west-1:" + westAccount + ":secret:db", "InvalidARN", source.ErrMalformedARN, "service must be secretsmanager"},
		{"malformed reference", getParameter, "/aws/reference/secretsmanager/arn:aws:secretsmanager:eu-west-1", "InvalidARN", source.ErrMalformedARN, "reference"},
		{"other partition", getParameter, "arn:aws-cn:ssm:cn-north-1:" + westAccount + ":parameter/x", "PartitionMismatch", source.ErrPartitionMismatch, "partition aws-cn, the client's region \"us-east-1\" in partition aws"},
		{"other partition in a batch", getParameters, "arn:aws-us-gov:ssm:us-gov-west-1:" + westAccount + ":parameter/x", "PartitionMismatch", source.ErrPartitionMismatch, "aws-us-gov"},
		{"region not in the ARN's partition", getSecret, "arn:aws:secretsmanager:cn-north-1:" + westAccount + ":secret:db", "PartitionMismatch", source.ErrPartitionMismatch, "region cn-north-1 is in partition aws-cn"},
		{"secret of another partition in a batch", batchSecrets, "arn:aws-cn:secretsmanager:cn-north-1:" + westAccount + ":secret:db", "PartitionMismatch", source.ErrPartitionMismatch, "aws-cn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.arg)
			var se *source.Error
			if !errors.As(err, &se) || se.Code != tt.code || !errors.Is(err, source.ErrInvalid) || !errors.Is(err, tt.cause) {
				t.Fatalf("read(%q) = %v; want a local *source.Error, Code %s, ErrInvalid, %v", tt.arg, err, tt.code, tt.cause)
			}
			if se.Name != tt.arg || !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("error %q; want it to name %q, %s and %q", err, tt.arg, tt.code, tt.text)
			}
			if source.IsTransient(err) {
				t.Errorf("IsTransient(%v) = true; want false", err)
			}
			if n := east.Calls("") + west.Calls(""); n != 0 {
				t.Errorf("upstream calls = %d; want 0", n)
			}
		})
	}
}

// Issue 22 item 3: made-up regions used to fill the region slots for
// good, so that every later real cross-region read failed with
// TooManyRegions (and an error text blaming the service). A region that
// does not have its partition's form is refused locally, takes no slot,
// and the error says it is local.
func TestMadeUpRegionsTakeNoSlot(t *testing.T) {
	ctx := context.Background()
	east, west, cl := twoRegions(t)
	for i := range source.DefaultMaxRegions + 1 {
		name := fmt.Sprintf("arn:aws:ssm:zz-fake-%d:%s:parameter/x", i, eastAccount)
		_, err := cl.ReadParameter(ctx, name, false)
		var se *source.Error
		if !errors.Is(err, source.ErrUnknownRegion) || !errors.As(err, &se) || !se.Local || se.Code != "UnknownRegion" ||
			!errors.Is(err, source.ErrInvalid) || !strings.Contains(err.Error(), "refused locally") ||
			strings.Contains(err.Error(), "rejected by the service") || !strings.Contains(err.Error(), fmt.Sprintf("zz-fake-%d", i)) {
			t.Fatalf("read of %s = %v; want a local UnknownRegion error naming the region", name, err)
		}
	}
	if n := east.Calls("") + west.Calls(""); n != 0 {
		t.Fatalf("upstream calls for made-up regions = %d; want 0", n)
	}
	p, err := cl.ReadParameter(ctx, westParam, false)
	if err != nil || aws.ToString(p.Value) != "/app/x@eu-west-1" {
		t.Fatalf("real cross-region read after made-up ones = %v, %v; want /app/x@eu-west-1", p, err)
	}
	if got := source.Kept(cl); !slices.Equal(got, []string{"|eu-west-1"}) {
		t.Errorf("kept sets = %q; want [|eu-west-1]", got)
	}
}

// A region of the right form whose endpoint does not answer (no such
// region, or no network to it) takes no slot either: clients are kept only
// after a call reached an endpoint.
func TestUnreachableRegionTakesNoSlot(t *testing.T) {
	ctx := context.Background()
	home := sourcetest.NewServer()
	defer home.Close()
	west := sourcetest.NewServer(sourcetest.WithRegion("eu-west-1"), sourcetest.WithAccount(westAccount))
	defer west.Close()
	if _, err := west.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "w"}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	cfg := home.Config()
	cfg.RetryMaxAttempts = 1
	opts := []source.Option{source.WithMaxRegions(2),
		source.WithSSMOptions(func(o *ssm.Options) {
			o.EndpointResolverV2 = ssmResolver{urls: map[string]string{"us-east-1": home.URL, "eu-west-1": west.URL}, fallback: dead}
		})}
	cl := source.New(cfg, opts...)
	for i := range 5 {
		name := fmt.Sprintf("arn:aws:ssm:eu-gone-%d:%s:parameter/x", i+1, eastAccount)
		_, err := cl.ReadParameter(ctx, name, false)
		if !errors.Is(err, source.ErrUnavailable) {
			t.Fatalf("read of %s = %v; want unavailable (connection refused)", name, err)
		}
	}
	if got := source.Kept(cl); len(got) != 0 {
		t.Fatalf("kept sets after unreachable regions = %q; want none", got)
	}
	if p, err := cl.ReadParameter(ctx, westParam, false); err != nil || aws.ToString(p.Value) != "w" {
		t.Fatalf("read of eu-west-1 = %v, %v; want w", p, err)
	}
	if got := source.Kept(cl); !slices.Equal(got, []string{"|eu-west-1"}) {
		t.Errorf("kept sets = %q; want [|eu-west-1]", got)
	}
}

// At most WithMaxRegions regions keep clients; one more drops the least
// recently used region's, and no read fails for want of room.
func TestRegionBoundLRU(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		opts []source.Option
		max  int
	}{
		{"default", nil, source.DefaultMaxRegions},
		{"WithMaxRegions(2)", []source.Option{source.WithMaxRegions(2)}, 2},
		{"WithMaxRegions(0) is the default", []source.Option{source.WithMaxRegions(0)}, source.DefaultMaxRegions},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := sourcetest.NewServer()
			defer home.Close()
			// Every other region is served by one fake; it does not know the
			// ARNs (another region), so each read reaches it and fails with
			// ParameterNotFound: an answer, so the region is kept.
			other := sourcetest.NewServer(sourcetest.WithRegion("eu-west-1"))
			defer other.Close()
			cl := source.New(home.Config(), append(byRegion(other, nil), tt.opts...)...)
			read := func(i int) {
				t.Helper()
				name := fmt.Sprintf("arn:aws:ssm:eu-test-%d:%s:parameter/x", i, eastAccount)
				if _, err := cl.ReadParameter(ctx, name, false); !errors.Is(err, source.ErrNotFound) {
					t.Fatalf("read of region %d: %v; want the fake's not found", i, err)
				}
			}
			var want []string
			for i := range tt.max {
				read(i)
				want = append(want, fmt.Sprintf("|eu-test-%d", i))
			}
			read(0) // 0 is now the most recently used; 1 the least
			read(tt.max)
			want = append(slices.Delete(want, 1, 2), fmt.Sprintf("|eu-test-%d", tt.max))
			slices.Sort(want)
			if got := source.Kept(cl); !slices.Equal(got, want) {
				t.Fatalf("kept = %q; want %q (eu-test-1 dropped)", got, want)
			}
			if n := other.Calls("GetParameter"); n != tt.max+2 {
				t.Errorf("calls to the other regions = %d; want %d", n, tt.max+2)
			}
			// The home region keeps no slot of its own.
			if _, err := cl.ReadParameter(ctx, eastParam, false); !errors.Is(err, source.ErrNotFound) {
				t.Errorf("read of the home region: %v", err)
			}
			if got := source.Kept(cl); len(got) != tt.max {
				t.Errorf("kept after a home read = %q; want %d", got, tt.max)
			}
		})
	}
}

// Off, every read goes to the home region, ARN or not, as the extension
// does.
func TestRoutingOff(t *testing.T) {
	east, west, cl := twoRegions(t, source.WithRegionRouting(false))
	for _, name := range []string{westParam, "arn:aws:ssm:eu-west-1:42:parameter/x"} {
		_, err := cl.Parameter.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
		if err == nil || errors.Is(err, source.ErrMalformedARN) {
			t.Errorf("GetParameter(%q) = %v; want the home service's error", name, err)
		}
		if east.CallsFor("GetParameter", name) != 1 {
			t.Errorf("home calls for %q = %d; want 1", name, east.CallsFor("GetParameter", name))
		}
	}
	if west.Calls("") != 0 {
		t.Errorf("calls to the other region = %d; want 0", west.Calls(""))
	}
}

// Concurrent reads of several regions share one client per region (run
// with -race).
func TestRouteConcurrent(t *testing.T) {
	home := sourcetest.NewServer()
	defer home.Close()
	other := sourcetest.NewServer(sourcetest.WithRegion("eu-west-1"))
	defer other.Close()
	cl := source.New(home.Config(), append(byRegion(other, nil), source.WithMaxRegions(3))...)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			name := fmt.Sprintf("arn:aws:ssm:eu-test-%d:%s:parameter/x", i%3, eastAccount)
			_, err := cl.Parameter.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
			if errors.Is(err, source.ErrTooManyRegions) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("three regions within a bound of three: %v", err)
	}
}

// A client of another region keeps the config's settings: here its retryer
// (two attempts) and its HTTP client; and the option functions, since the
// endpoint resolver that reaches eu-west-1 is one.
func TestRegionalClientKeepsConfig(t *testing.T) {
	east := sourcetest.NewServer()
	defer east.Close()
	west := sourcetest.NewServer(sourcetest.WithRegion("eu-west-1"), sourcetest.WithAccount(westAccount))
	defer west.Close()
	west.Inject(sourcetest.Fault{Op: "GetSecretValue", Code: "InternalServerError"})
	counter := &regionCounter{next: east.Config().HTTPClient}
	cfg := east.Config()
	cfg.RetryMaxAttempts = 2
	cfg.HTTPClient = counter
	cl := source.New(cfg, byRegion(nil, map[string]*sourcetest.Server{"us-east-1": east, "eu-west-1": west})...)
	_, err := cl.Secret.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(westSecret)})
	if !errors.Is(source.Classify("GetSecretValue", westSecret, err), source.ErrUnavailable) {
		t.Fatalf("GetSecretValue = %v; want the injected 500", err)
	}
	if n, m := west.Calls("GetSecretValue"), counter.calls("eu-west-1", ""); n != 2 || m != 2 {
		t.Errorf("attempts at eu-west-1 = %d, through the config's HTTP client %d; want 2, 2", n, m)
	}
	if east.Calls("") != 0 {
		t.Errorf("calls to us-east-1 = %d; want 0", east.Calls(""))
	}
}

// Racing first reads of more new regions than the bound: every read is
// served, and at most the bound keep clients.
func TestRegionBoundConcurrent(t *testing.T) {
	home := sourcetest.NewServer()
	defer home.Close()
	cl := source.New(home.Config(), source.WithMaxRegions(3))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			name := fmt.Sprintf("arn:aws:ssm:eu-race-%d:%s:parameter/x", i, eastAccount)
			if _, err := cl.ReadParameter(context.Background(), name, false); !errors.Is(err, source.ErrNotFound) {
				t.Errorf("read of region %d = %v; want the fake's not found", i, err)
			}
		})
	}
	wg.Wait()
	if n := home.Calls("GetParameter"); n != 20 {
		t.Errorf("upstream calls = %d; want 20", n)
	}
	if got := source.Kept(cl); len(got) != 3 {
		t.Errorf("kept = %q; want 3 regions", got)
	}
}

// With a custom endpoint and no resolver, every region goes to that
// endpoint, signed for its own region: BaseEndpoint in the config, or
// AWS_ENDPOINT_URL read by config.LoadDefaultConfig.
func TestRouteCustomEndpoint(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	envCfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]aws.Config{"BaseEndpoint": srv.Config(), "AWS_ENDPOINT_URL": envCfg} {
		t.Run(name, func(t *testing.T) {
			srv.ResetCounters()
			counter := &regionCounter{next: srv.Config().HTTPClient}
			cfg.HTTPClient = counter
			cl := source.New(cfg)
			_, err := cl.Secret.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(westSecret)})
			if !errors.Is(source.Classify("GetSecretValue", westSecret, err), source.ErrNotFound) {
				t.Fatalf("GetSecretValue = %v; want the endpoint's ResourceNotFoundException", err)
			}
			if n, m := srv.CallsFor("GetSecretValue", westSecret), counter.calls("eu-west-1", ""); n != 1 || m != 1 {
				t.Errorf("calls at the endpoint = %d, signed for eu-west-1 = %d; want 1, 1", n, m)
			}
		})
	}
}
