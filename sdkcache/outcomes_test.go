package sdkcache_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/sdkcache"
)

// lossy passes every request on and, for the first one of op, loses the
// answer: the write is applied upstream and the client sees a connection
// reset, which the SDK's retryer retries.
type lossy struct {
	next aws.HTTPClient
	op   string
	mu   sync.Mutex // protects lost
	lost bool
}

func (l *lossy) Do(r *http.Request) (*http.Response, error) {
	resp, err := l.next.Do(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || l.lost || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "."+l.op) {
		return resp, err
	}
	l.lost = true
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

// retrying makes a client retry once, at once, over l.
func retrying(l *lossy) func(*aws.Config) {
	return func(cfg *aws.Config) {
		l.next = cfg.HTTPClient
		if l.next == nil {
			l.next = awshttp.NewBuildableClient()
		}
		cfg.HTTPClient = l
		cfg.RetryMaxAttempts = 2
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}
	}
}

// TestWriteWhoseAnswerWasLost: a write applied upstream whose answer was
// lost is retried by the SDK, and the retry fails with a client error
// (the value is already gone or there): the next read through the same
// client still sees the write, not the cached value.
func TestWriteWhoseAnswerWasLost(t *testing.T) {
	tests := []struct {
		name, op, code string
		read           func(*ssm.Client, *secretsmanager.Client) string
		write          func(*ssm.Client, *secretsmanager.Client) error
		want           string
	}{
		{"DeleteParameter", "DeleteParameter", "ParameterNotFound",
			func(c *ssm.Client, _ *secretsmanager.Client) string { return getParam(c, "/app/p") },
			func(c *ssm.Client, _ *secretsmanager.Client) error {
				_, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/app/p")})
				return err
			}, "ParameterNotFound"},
		{"PutParameter without Overwrite", "PutParameter", "ParameterAlreadyExists",
			func(c *ssm.Client, _ *secretsmanager.Client) string { return getParam(c, "/app/new") },
			func(c *ssm.Client, _ *secretsmanager.Client) error {
				_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/new"), Value: aws.String("created"), Type: ssmtypes.ParameterTypeString})
				return err
			}, "created"},
		{"DeleteSecret", "DeleteSecret", "InvalidRequestException",
			func(_ *ssm.Client, sm *secretsmanager.Client) string { return getSecret(sm, "app/s") },
			func(_ *ssm.Client, sm *secretsmanager.Client) error {
				_, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/s")})
				return err
			}, "InvalidRequestException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, _ := setup(t)
			seed(t, srv, "/app/p", "p1")
			seedSecret(t, srv, "app/s", "s1")
			l := &lossy{op: tt.op}
			retrying(l)(&cfg)
			client, sm := ssm.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
			before := tt.read(client, sm)
			err := tt.write(client, sm)
			if !l.lost || code(err) != tt.code {
				t.Fatalf("%s with its first answer lost = %v (lost: %v); want the retry's %s", tt.op, err, l.lost, tt.code)
			}
			if got := tt.read(client, sm); got != tt.want {
				t.Errorf("read after %s (before: %q) = %q; want %q", tt.op, before, got, tt.want)
			}
		})
	}
}

// TestWriteThroughAnotherRegion: a write through a client of another
// Region than the cache's reaches the cached read by ARN.
func TestWriteThroughAnotherRegion(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/p", "p1")
	seedSecret(t, srv, "app/s", "s1")
	direct, err := srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := srv.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
	if err != nil {
		t.Fatal(err)
	}
	paramARN, secretARN := aws.ToString(direct.Parameter.ARN), aws.ToString(ds.ARN)
	client, sm := ssm.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
	if got := getParam(client, paramARN); got != "p1" {
		t.Fatalf("read by ARN = %q", got)
	}
	if got := getSecret(sm, secretARN); got != "s1" {
		t.Fatalf("read by ARN = %q", got)
	}
	// SSM takes no ARN in PutParameter: a write by name (the fake has one
	// Region: the write reaches the value the ARN names).
	other := func(o *ssm.Options) { o.Region = "eu-west-1" }
	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("p2"),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}, other); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(secretARN), SecretString: aws.String("s2")},
		func(o *secretsmanager.Options) { o.Region = "eu-west-1" }); err != nil {
		t.Fatal(err)
	}
	if got := getParam(client, paramARN); got != "p2" {
		t.Errorf("read by ARN after a write through a client of eu-west-1 = %q; want %q", got, "p2")
	}
	if got := getSecret(sm, secretARN); got != "s2" {
		t.Errorf("read by ARN after a write by ARN through a client of eu-west-1 = %q; want %q", got, "s2")
	}
}

// rotator answers RotateSecret as Secrets Manager does when it starts a
// rotation (the fake has no rotation): the new version's id, which the
// rotation function fills in and makes AWSCURRENT later.
type rotator struct {
	next      aws.HTTPClient
	arn, name string
	version   string
}

func (r *rotator) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") != "secretsmanager.RotateSecret" {
		return r.next.Do(req)
	}
	body := `{"ARN":"` + r.arn + `","Name":"` + r.name + `","VersionId":"` + r.version + `"}`
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)), Request: req}, nil
}

// TestRotateSecretSeesTheNewVersion: RotateSecret returns before the
// rotation function makes the new version AWSCURRENT; reads through the
// client after it see the new version within a second of the move (not
// the old one for the TTL), and are hits again once they have.
func TestRotateSecretSeesTheNewVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg, _ := setup(t)
		v1 := seedSecret(t, srv, "app/r", "old")
		ds, err := srv.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/r")})
		if err != nil {
			t.Fatal(err)
		}
		const next = "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"
		sm := secretsmanager.NewFromConfig(cfg)
		if got := getSecret(sm, "app/r"); got != "old" {
			t.Fatalf("first read = %q", got)
		}
		if _, err := sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("app/r")}, func(o *secretsmanager.Options) {
			o.HTTPClient = &rotator{next: o.HTTPClient, arn: aws.ToString(ds.ARN), name: "app/r", version: next}
		}); err != nil {
			t.Fatal(err)
		}
		if got := getSecret(sm, "app/r"); got != "old" {
			t.Fatalf("read after RotateSecret = %q; want %q (the rotation has not finished)", got, "old")
		}
		// The rotation function, in a process of its own.
		fn := srv.SecretsManager()
		if _, err := fn.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/r"), ClientRequestToken: aws.String(next),
			SecretString: aws.String("new"), VersionStages: []string{"AWSPENDING"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := fn.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app/r"),
			VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(next), RemoveFromVersionId: aws.String(v1)}); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second) // the bubble's fake clock
		srv.ResetCounters()
		if got := getSecret(sm, "app/r"); got != "new" {
			t.Errorf("read a second after the rotation function moved AWSCURRENT = %q; want %q", got, "new")
		}
		<-time.After(time.Minute)
		srv.ResetCounters()
		if got := getSecret(sm, "app/r"); got != "new" {
			t.Errorf("read a minute later = %q; want %q", got, "new")
		}
		if n := srv.Calls("GetSecretValue"); n != 0 {
			t.Errorf("read a minute after the new version was seen made %d upstream calls; want 0 (the watch ended)", n)
		}
	})
}

func getParam(c *ssm.Client, name string) string {
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return code(err)
	}
	return aws.ToString(out.Parameter.Value)
}

func getSecret(c *secretsmanager.Client, id string) string {
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return code(err)
	}
	return aws.ToString(out.SecretString)
}

// TestWriteWhoseAnswerWasLostAgainstMoto is TestWriteWhoseAnswerWasLost
// against an independent emulator: its own answers to the retries.
func TestWriteWhoseAnswerWasLostAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	cfg := srv.Config()
	values, err := sdkcache.Install(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer values.Close()
	direct := srv.SSM()
	if _, err := direct.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/lost/p"), Value: aws.String("p1"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("lost/s"), SecretString: aws.String("s1")}); err != nil {
		t.Fatal(err)
	}
	lp, ls := &lossy{op: "DeleteParameter"}, &lossy{op: "DeleteSecret"}
	pc, sc := cfg.Copy(), cfg.Copy()
	retrying(lp)(&pc)
	retrying(ls)(&sc)
	client, sm := ssm.NewFromConfig(pc), secretsmanager.NewFromConfig(sc)
	if got := getParam(client, "/lost/p"); got != "p1" {
		t.Fatalf("read = %q", got)
	}
	if got := getSecret(sm, "lost/s"); got != "s1" {
		t.Fatalf("read = %q", got)
	}
	_, err = client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/lost/p")})
	if !lp.lost || code(err) != "ParameterNotFound" {
		t.Fatalf("DeleteParameter with its first answer lost = %v (lost: %v); want moto's ParameterNotFound on the retry", err, lp.lost)
	}
	if got := getParam(client, "/lost/p"); got != "ParameterNotFound" {
		t.Errorf("read after DeleteParameter = %q; want ParameterNotFound", got)
	}
	_, err = sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("lost/s")})
	if !ls.lost || code(err) != "InvalidRequestException" {
		t.Fatalf("DeleteSecret with its first answer lost = %v (lost: %v); want moto's InvalidRequestException on the retry", err, ls.lost)
	}
	if got := getSecret(sm, "lost/s"); got != "InvalidRequestException" {
		t.Errorf("read after DeleteSecret = %q; want InvalidRequestException", got)
	}
}
