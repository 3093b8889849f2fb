package source_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// ListSecretsByTag lists the secrets carrying any of the tag keys, page by
// page, bounded, against the fake and against moto.
func TestListSecretsByTag(t *testing.T) {
	ctx := context.Background()
	srv := sourcetest.NewServer()
	defer srv.Close()
	var want []string
	for i := range 330 { // 110 tagged: two pages of 100
		name := fmt.Sprintf("s%03d", i)
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: name}, sourcetest.SecretVersion{String: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
		switch i % 3 {
		case 0:
			if err := srv.TagSecret(name, map[string]string{"app:prefetch": ""}); err != nil {
				t.Fatal(err)
			}
			want = append(want, name)
		case 1:
			if err := srv.TagSecret(name, map[string]string{"other": "app:prefetch"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// In memory: a page of 100 secrets is a large answer, and large answers
	// over loopback TCP sometimes fail under -race with "use of closed
	// network connection" (sourcetest and main alike; reported).
	cl := srv.InMemoryClients()
	refs, more, err := cl.ListSecretsByTag(ctx, []string{"app:prefetch"}, 0)
	if err != nil || more {
		t.Fatalf("ListSecretsByTag = %v, more %v; want no error", err, more)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.Name)
		if r.ARN == "" {
			t.Fatalf("ref %s has no ARN", r.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d secrets; want the %d tagged app:prefetch", len(got), len(want))
	}
	if n := srv.Calls("ListSecrets"); n != 2 {
		t.Errorf("ListSecrets pages = %d; want 2", n)
	}
	refs, more, err = cl.ListSecretsByTag(ctx, []string{"app:prefetch"}, 10)
	if err != nil || !more || len(refs) != 10 {
		t.Errorf("ListSecretsByTag(max 10) = %d refs, more %v, %v; want 10, true", len(refs), more, err)
	}
	if _, _, err := cl.ListSecretsByTag(ctx, nil, 0); !errors.Is(err, source.ErrInvalid) {
		t.Errorf("ListSecretsByTag(no keys) = %v; want a local invalid error", err)
	}
	if _, _, err := (source.Clients{}).ListSecretsByTag(ctx, []string{"k"}, 0); !errors.Is(err, source.ErrNoClient) {
		t.Errorf("ListSecretsByTag without a lister = %v; want ErrNoClient", err)
	}
}

func TestListSecretsByTagAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	for i, tags := range [][]smtypes.Tag{{{Key: aws.String("app:prefetch"), Value: aws.String("1")}}, nil,
		{{Key: aws.String("team"), Value: aws.String("x")}, {Key: aws.String("app:prefetch"), Value: aws.String("")}}} {
		if _, err := srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(fmt.Sprintf("s%d", i)), SecretString: aws.String("v"), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	refs, more, err := srv.Clients().ListSecretsByTag(ctx, []string{"app:prefetch"}, 0)
	if err != nil || more {
		t.Fatal(err, more)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.Name)
	}
	slices.Sort(got)
	if want := []string{"s0", "s2"}; !slices.Equal(got, want) {
		t.Errorf("listed %q; want %q", got, want)
	}
}
