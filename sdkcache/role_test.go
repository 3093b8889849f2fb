package sdkcache_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/sdkcache"
)

// A call is left alone unless it asks for a role: with sdkcache.WithRole it
// reads the role's account (an entry of its own); without, the function's;
// a role the cache cannot apply is refused, never read with the client's
// own credentials.
func TestRoleAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	const role = "arn:aws:iam::222222222222:role/reader"
	other := srv.Config()
	other.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(srv.Config()), role))
	for _, c := range []struct {
		cfg   aws.Config
		value string
	}{{srv.Config(), "own"}, {other, "second"}} {
		if _, err := secretsmanager.NewFromConfig(c.cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String("db"), SecretString: aws.String(c.value)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := srv.Config()
	values, err := sdkcache.Install(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer values.Close()
	client := secretsmanager.NewFromConfig(cfg)
	for range 2 {
		for rctx, want := range map[bool]string{false: "own", true: "second"} {
			c := ctx
			if rctx {
				c = sdkcache.WithRole(ctx, role)
			}
			out, err := client.GetSecretValue(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
			if err != nil || aws.ToString(out.SecretString) != want {
				t.Fatalf("GetSecretValue (role %v) = %v, %v; want %s", rctx, out, err, want)
			}
		}
	}
	if st := values.Stats(); st.Loads != 2 || st.Hits != 2 {
		t.Errorf("stats: %d loads, %d hits; want 2, 2", st.Loads, st.Hits)
	}
	_, err = client.BatchGetSecretValue(sdkcache.WithRole(ctx, role), &secretsmanager.BatchGetSecretValueInput{
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"db"}}}})
	if !errors.Is(err, sdkcache.ErrRoleNotApplied) {
		t.Errorf("BatchGetSecretValue with Filters through a role = %v; want ErrRoleNotApplied", err)
	}
}
