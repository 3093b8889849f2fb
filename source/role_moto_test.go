package source_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
)

// serviceCounter is an HTTP client that counts requests by the service of
// their SigV4 credential scope (ssm, secretsmanager, sts) and the access
// key that signed them.
type serviceCounter struct {
	next aws.HTTPClient
	mu   sync.Mutex // protects n, keys
	n    map[string]int
	keys map[string]map[string]bool // service → access keys seen
}

var scopeServiceRE = regexp.MustCompile(`Credential=([^/]+)/\d{8}/[^/]+/([^/]+)/`)

func (c *serviceCounter) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n, c.keys = map[string]int{}, map[string]map[string]bool{}
	}
	if m := scopeServiceRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.n[m[2]]++
		if c.keys[m[2]] == nil {
			c.keys[m[2]] = map[string]bool{}
		}
		c.keys[m[2]][m[1]] = true
	}
	c.mu.Unlock()
	return c.next.Do(r)
}

func (c *serviceCounter) calls(service string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[service]
}

const (
	readerRole   = "arn:aws:iam::" + westAccount + ":role/reader"
	secondSecret = "db@" + westAccount
)

// secretInAccount creates the secret db in the account of role (through
// moto's AssumeRole, whose credentials moto maps to the role's account).
func secretInAccount(t *testing.T, srv *motoserver.Server, role, value string) {
	t.Helper()
	ctx := motoserver.WithTimeout(t)
	cfg := srv.Config()
	if role != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(srv.Config()), role))
	}
	if _, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("db"), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
}

// Issue 25: a secret read through a role in a second account; the role's
// credentials are assumed once and cached; a read without the role is the
// function's own account.
func TestRoleAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	secretInAccount(t, srv, "", "db@"+eastAccount)
	secretInAccount(t, srv, readerRole, secondSecret)

	counter := &serviceCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cl := source.New(cfg)
	rctx := source.WithRole(ctx, readerRole)
	for i := range 3 {
		s, err := cl.ReadSecret(rctx, "db", "", "")
		if err != nil || aws.ToString(s.SecretString) != secondSecret {
			t.Fatalf("read %d through %s = %v, %v; want %s", i, readerRole, s, err, secondSecret)
		}
	}
	if n := counter.calls("sts"); n != 1 {
		t.Errorf("STS calls for three reads through one role = %d; want 1 (cached credentials)", n)
	}
	s, err := cl.ReadSecret(ctx, "db", "", "")
	if err != nil || aws.ToString(s.SecretString) != "db@"+eastAccount {
		t.Fatalf("read without a role = %v, %v; want the function's own account's", s, err)
	}
	res, err := cl.ReadSecrets(rctx, []string{"db"})
	if err != nil || res[0].Err != nil || aws.ToString(res[0].Value.SecretString) != secondSecret {
		t.Fatalf("ReadSecrets through %s = %v, %v; want %s", readerRole, res, err, secondSecret)
	}
	if keys := counter.keys["secretsmanager"]; len(keys) != 2 {
		t.Errorf("access keys that signed Secrets Manager calls = %v; want 2 (the config's and the role's)", keys)
	}
	if got := source.Kept(cl); !slices.Equal(got, []string{readerRole + "|us-east-1"}) {
		t.Errorf("kept = %q; want the role's home-region set", got)
	}
}

// The 21st role drops the least recently used role's credentials and
// clients: its next read assumes it again.
func TestRoleBoundAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	role := func(i int) string { return fmt.Sprintf("arn:aws:iam::%s:role/r%d", westAccount, i) }
	secretInAccount(t, srv, role(0), secondSecret)
	counter := &serviceCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cl := source.New(cfg)
	read := func(i int) {
		t.Helper()
		s, err := cl.ReadSecret(source.WithRole(ctx, role(i)), "db", "", "")
		if err != nil || aws.ToString(s.SecretString) != secondSecret {
			t.Fatalf("read through %s = %v, %v", role(i), s, err)
		}
	}
	for i := range source.DefaultMaxRoles {
		read(i)
	}
	read(0) // r0 most recently used, r1 least
	if n := counter.calls("sts"); n != source.DefaultMaxRoles {
		t.Fatalf("STS calls = %d; want %d, one per role", n, source.DefaultMaxRoles)
	}
	read(source.DefaultMaxRoles) // the 21st
	kept := source.Kept(cl)
	if len(kept) != source.DefaultMaxRoles || slices.Contains(kept, role(1)+"|us-east-1") || !slices.Contains(kept, role(0)+"|us-east-1") {
		t.Fatalf("kept after the 21st role = %q; want %d roles, r1 dropped, r0 kept", kept, source.DefaultMaxRoles)
	}
	read(0)
	if n := counter.calls("sts"); n != source.DefaultMaxRoles+1 {
		t.Errorf("STS calls after a read of a kept role = %d; want %d", n, source.DefaultMaxRoles+1)
	}
	read(1)
	if n := counter.calls("sts"); n != source.DefaultMaxRoles+2 {
		t.Errorf("STS calls after a read of the dropped role = %d; want %d (assumed again)", n, source.DefaultMaxRoles+2)
	}
}

// Two roles never share an entry's source: the same name through two roles
// reads two accounts.
func TestTwoRolesTwoAccountsAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	other := "arn:aws:iam::333333333333:role/reader"
	secretInAccount(t, srv, readerRole, secondSecret)
	secretInAccount(t, srv, other, "db@333333333333")
	cl := source.New(srv.Config())
	for role, want := range map[string]string{readerRole: secondSecret, other: "db@333333333333"} {
		s, err := cl.ReadSecret(source.WithRole(ctx, role), "db", "", "")
		if err != nil || aws.ToString(s.SecretString) != want {
			t.Errorf("read through %s = %v, %v; want %s", role, s, err, want)
		}
	}
}

// stsRefusing answers every AssumeRole with STS's AccessDenied, as STS
// does for a role whose trust policy does not name the caller.
func stsRefusing(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
			`<Message>User: arn:aws:iam::123456789012:user/fn is not authorized to perform: sts:AssumeRole on resource: `+readerRole+`</Message>`+
			`</Error><RequestId>r-1</RequestId></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A role STS refuses is ErrAccessDenied with STS's words, takes no slot,
// and is no failover; a malformed role or one of another partition is
// refused before any call.
func TestRoleErrors(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	secretInAccount(t, srv, "", "db@"+eastAccount)
	refusing := stsRefusing(t)
	counter := &serviceCounter{next: awshttp.NewBuildableClient()}
	cfg := srv.Config()
	cfg.HTTPClient = counter
	cl := source.New(cfg, source.WithSTSOptions(func(o *sts.Options) { o.BaseEndpoint = aws.String(refusing.URL) }))

	fctx := source.WithFailover(source.WithRole(ctx, readerRole), source.Failover{Regions: []string{"us-west-2"}})
	_, err := cl.ReadSecret(fctx, "db", "", "")
	var se *source.Error
	if !errors.Is(err, source.ErrAccessDenied) || !errors.As(err, &se) || se.Code != "AccessDenied" || se.Local ||
		!strings.Contains(err.Error(), "not authorized to perform: sts:AssumeRole") || !strings.Contains(err.Error(), readerRole) {
		t.Fatalf("read through a refused role = %v; want ErrAccessDenied with STS's code and words, naming the role", err)
	}
	if source.IsTransient(err) {
		t.Errorf("IsTransient(refused role) = true")
	}
	if n := counter.calls("secretsmanager"); n != 0 {
		t.Errorf("Secrets Manager calls through a refused role = %d; want 0 (and no failover)", n)
	}
	if got := source.Kept(cl); len(got) != 0 {
		t.Errorf("kept after a refused role = %q; want none", got)
	}

	for _, tt := range []struct{ role, code, text string }{
		{"arn:aws:iam::42:role/x", "InvalidRoleARN", "12 digits"},
		{"reader", "InvalidRoleARN", "arn:PARTITION:iam::ACCOUNT:role/NAME"},
		{"arn:aws:iam::" + westAccount + ":user/x", "InvalidRoleARN", "role/NAME"},
		{"arn:aws:iam:us-east-1:" + westAccount + ":role/x", "InvalidRoleARN", "region must be empty"},
		{"arn:aws-cn:iam::" + westAccount + ":role/x", "PartitionMismatch", "aws-cn"},
	} {
		_, err := cl.ReadSecret(source.WithRole(ctx, tt.role), "db", "", "")
		if !errors.As(err, &se) || se.Code != tt.code || !se.Local || !errors.Is(err, source.ErrInvalid) ||
			!strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), "refused locally") {
			t.Errorf("read through %q = %v; want a local %s error saying %q", tt.role, err, tt.code, tt.text)
		}
	}
	if n := counter.calls("secretsmanager"); n != 0 {
		t.Errorf("Secrets Manager calls = %d; want 0", n)
	}

	// Clients made by hand cannot assume a role: they refuse to read
	// with the function's own credentials instead.
	hand := source.Clients{Secret: srv.SecretsManager()}
	if _, err := hand.ReadSecret(source.WithRole(ctx, readerRole), "db", "", ""); !errors.Is(err, source.ErrNoClient) {
		t.Errorf("read through a role with hand-made Clients = %v; want ErrNoClient", err)
	}
}

// A read's context can carry a role on the way to an SDK client of New's
// fields too: Secret.GetSecretValue follows it.
func TestRoleOnTheField(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	secretInAccount(t, srv, readerRole, secondSecret)
	cl := source.New(srv.Config())
	out, err := cl.Secret.GetSecretValue(source.WithRole(ctx, readerRole), &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(out.SecretString) != secondSecret {
		t.Fatalf("GetSecretValue through a role = %v, %v", out, err)
	}
	if source.RoleFrom(context.Background()) != "" || source.RoleFrom(source.WithRole(ctx, readerRole)) != readerRole {
		t.Error("RoleFrom does not return WithRole's role")
	}
}
