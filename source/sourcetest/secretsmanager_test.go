package sourcetest_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// seedSecrets seeds "str" (v1 "s1" AWSPREVIOUS, v2 "s2" AWSCURRENT), "bin"
// (binary), "empty" (no value) and the deleted "gone"; it returns str's
// version ids.
func seedSecrets(t *testing.T, s *sourcetest.Server) (v1, v2 string) {
	t.Helper()
	var err error
	if v1, err = s.CreateSecret(sourcetest.Secret{Name: "str"}, sourcetest.SecretVersion{String: ptr("s1")}); err != nil {
		t.Fatal(err)
	}
	if v2, err = s.PutSecretValue("str", sourcetest.SecretVersion{String: ptr("s2")}); err != nil {
		t.Fatal(err)
	}
	if _, err = s.CreateSecret(sourcetest.Secret{Name: "bin"}, sourcetest.SecretVersion{Binary: []byte{0, 1, 2, 255}}); err != nil {
		t.Fatal(err)
	}
	if _, err = s.CreateSecret(sourcetest.Secret{Name: "empty"}, sourcetest.SecretVersion{}); err != nil {
		t.Fatal(err)
	}
	if _, err = s.CreateSecret(sourcetest.Secret{Name: "gone"}, sourcetest.SecretVersion{String: ptr("x")}); err != nil {
		t.Fatal(err)
	}
	if err = s.DeleteSecret("gone"); err != nil {
		t.Fatal(err)
	}
	return v1, v2
}

func TestGetSecretValue(t *testing.T) {
	s := newServer(t, sourcetest.WithClock(func() time.Time { return clock }))
	v1, v2 := seedSecrets(t, s)
	c := s.SecretsManager()
	desc, err := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("str")})
	if err != nil {
		t.Fatal(err)
	}
	arn := *desc.ARN
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:str-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:123456789012:secret:str-")+6 {
		t.Errorf("ARN = %s; want a six-character suffix", arn)
	}
	tests := []struct {
		id, versionID, stage string
		value                string
		stages               []string
		code                 string
	}{
		{id: "str", value: "s2", stages: []string{"AWSCURRENT"}},
		{id: arn, value: "s2", stages: []string{"AWSCURRENT"}},
		{id: arn[:len(arn)-7], value: "s2", stages: []string{"AWSCURRENT"}},
		{id: "str", stage: "AWSPREVIOUS", value: "s1", stages: []string{"AWSPREVIOUS"}},
		{id: "str", versionID: v1, value: "s1", stages: []string{"AWSPREVIOUS"}},
		{id: "str", versionID: v2, stage: "AWSCURRENT", value: "s2", stages: []string{"AWSCURRENT"}},
		{id: "str", versionID: v1, stage: "AWSCURRENT", code: "InvalidRequestException"},
		{id: "str", versionID: "00000000-0000-0000-0000-000000000000", code: "ResourceNotFoundException"},
		{id: "str", stage: "NOPE", code: "ResourceNotFoundException"},
		{id: "nope", code: "ResourceNotFoundException"},
		{id: arn + "x", code: "ResourceNotFoundException"},
		{id: "empty", code: "ResourceNotFoundException"},
		{id: "gone", code: "InvalidRequestException"},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.versionID+"/"+tt.stage, func(t *testing.T) {
			in := &secretsmanager.GetSecretValueInput{SecretId: &tt.id}
			if tt.versionID != "" {
				in.VersionId = &tt.versionID
			}
			if tt.stage != "" {
				in.VersionStage = &tt.stage
			}
			out, err := c.GetSecretValue(t.Context(), in)
			if tt.code != "" {
				if code(err) != tt.code || status(err) != 400 {
					t.Fatalf("GetSecretValue = %v (HTTP %d); want %s (HTTP 400)", err, status(err), tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if val(out.SecretString) != tt.value || !slices.Equal(out.VersionStages, tt.stages) || *out.ARN != arn || *out.Name != "str" {
				t.Errorf("GetSecretValue = %s %q %s %s; want %s %q", val(out.SecretString), out.VersionStages, *out.ARN, *out.Name, tt.value, tt.stages)
			}
			if !out.CreatedDate.Equal(clock.Truncate(time.Millisecond)) {
				t.Errorf("CreatedDate = %v", out.CreatedDate)
			}
		})
	}
	out, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("bin")})
	if err != nil || string(out.SecretBinary) != "\x00\x01\x02\xff" || out.SecretString != nil {
		t.Errorf("GetSecretValue(bin) = %v, %v; want binary 00 01 02 ff", out, err)
	}
	_, err = c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	var rnf *smtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("GetSecretValue(nope) = %T; want *types.ResourceNotFoundException", err)
	}
}

// stagesOf returns DescribeSecret's VersionIdsToStages.
func stagesOf(t *testing.T, c *secretsmanager.Client, id string) map[string][]string {
	t.Helper()
	d, err := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return d.VersionIdsToStages
}

func TestPutSecretValueMovesStages(t *testing.T) {
	s := newServer(t)
	v1, v2 := seedSecrets(t, s)
	c := s.SecretsManager()
	out, err := c.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{SecretId: aws.String("str"), SecretString: aws.String("s3")})
	if err != nil {
		t.Fatal(err)
	}
	v3 := *out.VersionId
	if !slices.Equal(out.VersionStages, []string{"AWSCURRENT"}) {
		t.Errorf("PutSecretValue stages = %q", out.VersionStages)
	}
	want := map[string][]string{v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT"}} // v1 lost AWSPREVIOUS: not listed
	if got := stagesOf(t, c, "str"); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("VersionIdsToStages = %v; want %v", got, want)
	}
	// A custom stage moves without touching AWSCURRENT.
	if _, err := c.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{SecretId: aws.String("str"), SecretString: aws.String("s4"), VersionStages: []string{"TEST"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("str")})
	if *got.SecretString != "s3" {
		t.Errorf("AWSCURRENT after a TEST version = %s; want s3", *got.SecretString)
	}
	// The same ClientRequestToken: idempotent with the same value, an error otherwise.
	tok := "0123456789abcdef0123456789abcdef"
	for i, tt := range []struct{ value, code string }{{"s5", ""}, {"s5", ""}, {"other", "ResourceExistsException"}} {
		_, err := c.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{SecretId: aws.String("str"), SecretString: &tt.value, ClientRequestToken: &tok})
		if code(err) != tt.code {
			t.Errorf("PutSecretValue #%d with token = %v; want %q", i, err, tt.code)
		}
	}
	for _, in := range []*secretsmanager.PutSecretValueInput{
		{SecretId: aws.String("nope"), SecretString: aws.String("x")},
		{SecretId: aws.String("gone"), SecretString: aws.String("x")},
		{SecretId: aws.String("str")},
		{SecretId: aws.String("str"), SecretString: aws.String("x"), SecretBinary: []byte("y")},
	} {
		if _, err := c.PutSecretValue(t.Context(), in); err == nil {
			t.Errorf("PutSecretValue(%s) = nil error", *in.SecretId)
		}
	}
	_ = v1
	// The first value of a secret created without one becomes AWSCURRENT.
	if _, err := c.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{SecretId: aws.String("empty"), SecretString: aws.String("now"), VersionStages: []string{"X"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")}); err != nil || *got.SecretString != "now" {
		t.Errorf("GetSecretValue(empty) after first put = %v, %v", got, err)
	}
}

func TestUpdateSecretVersionStage(t *testing.T) {
	s := newServer(t)
	v1, v2 := seedSecrets(t, s)
	c := s.SecretsManager()
	id := aws.String("str")
	tests := []struct {
		desc       string
		stage      string
		moveTo     string
		removeFrom string
		code       string
		want       map[string][]string
	}{
		{"AWSCURRENT without RemoveFromVersionId", "AWSCURRENT", v1, "", "InvalidParameterException", nil},
		{"unknown MoveTo", "AWSCURRENT", "nope-nope-nope-nope-nope-nope-nope", v2, "InvalidParameterException", nil},
		{"wrong RemoveFrom", "AWSCURRENT", v1, v1, "InvalidParameterException", nil},
		{"neither", "X", "", "", "InvalidParameterException", nil},
		{"roll back", "AWSCURRENT", v1, v2, "", map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPREVIOUS"}}},
		{"add custom", "BLUE", v2, "", "", map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPREVIOUS", "BLUE"}}},
		{"remove custom", "BLUE", "", v2, "", map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPREVIOUS"}}},
		{"remove AWSCURRENT only", "AWSCURRENT", "", v1, "InvalidParameterException", nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: id, VersionStage: &tt.stage}
			if tt.moveTo != "" {
				in.MoveToVersionId = &tt.moveTo
			}
			if tt.removeFrom != "" {
				in.RemoveFromVersionId = &tt.removeFrom
			}
			_, err := c.UpdateSecretVersionStage(t.Context(), in)
			if code(err) != tt.code {
				t.Fatalf("UpdateSecretVersionStage = %v; want %q", err, tt.code)
			}
			if tt.want != nil {
				if got := stagesOf(t, c, "str"); !maps.EqualFunc(got, tt.want, slices.Equal) {
					t.Errorf("VersionIdsToStages = %v; want %v", got, tt.want)
				}
			}
		})
	}
}

func TestDescribeAndBatchGetSecretValue(t *testing.T) {
	s := newServer(t)
	seedSecrets(t, s)
	c := s.SecretsManager()
	d, err := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("gone")})
	if err != nil || d.DeletedDate == nil || *d.Name != "gone" {
		t.Errorf("DescribeSecret(gone) = %v, %v; want a DeletedDate", d, err)
	}
	if _, err := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("nope")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("DescribeSecret(nope) = %v", err)
	}
	out, err := c.BatchGetSecretValue(t.Context(), &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"str", "nope", "bin", "gone"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range out.SecretValues {
		got = append(got, *v.Name)
	}
	var errs []string
	for _, e := range out.Errors {
		errs = append(errs, *e.SecretId+"="+*e.ErrorCode)
	}
	if !slices.Equal(got, []string{"str", "bin"}) || !slices.Equal(errs, []string{"nope=ResourceNotFoundException", "gone=InvalidRequestException"}) {
		t.Errorf("BatchGetSecretValue = %q, errors %q", got, errs)
	}
	for i := range 25 {
		if _, err := s.CreateSecret(sourcetest.Secret{Name: "f/" + string(rune('a'+i))}, sourcetest.SecretVersion{String: ptr("v")}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for p := secretsmanager.NewBatchGetSecretValuePaginator(c, &secretsmanager.BatchGetSecretValueInput{
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"f/"}}}, MaxResults: aws.Int32(10),
	}); p.HasMorePages(); {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.SecretValues {
			names = append(names, *v.Name)
		}
	}
	if len(names) != 25 || !slices.IsSorted(names) {
		t.Errorf("BatchGetSecretValue(filter f/) = %q; want 25 sorted names", names)
	}
	for _, in := range []*secretsmanager.BatchGetSecretValueInput{
		{},
		{SecretIdList: make([]string, 21)},
		{SecretIdList: []string{"str"}, Filters: []smtypes.Filter{{Key: "name", Values: []string{"s"}}}},
		{SecretIdList: []string{"str"}, MaxResults: aws.Int32(2)},
	} {
		if _, err := c.BatchGetSecretValue(t.Context(), in); err == nil {
			t.Errorf("BatchGetSecretValue(%d ids, %d filters) = nil error", len(in.SecretIdList), len(in.Filters))
		}
	}
}

func TestCreateAndDeleteSecret(t *testing.T) {
	s := newServer(t)
	seedSecrets(t, s)
	c := s.SecretsManager()
	tests := []struct {
		in   secretsmanager.CreateSecretInput
		code string
	}{
		{secretsmanager.CreateSecretInput{Name: aws.String("new"), SecretString: aws.String("v")}, ""},
		{secretsmanager.CreateSecretInput{Name: aws.String("new"), SecretString: aws.String("v")}, "ResourceExistsException"},
		{secretsmanager.CreateSecretInput{Name: aws.String("gone"), SecretString: aws.String("v")}, "InvalidRequestException"},
		{secretsmanager.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String("v"), SecretBinary: []byte("b")}, "InvalidParameterException"},
		{secretsmanager.CreateSecretInput{Name: aws.String("bad name!")}, "ValidationException"},
		{secretsmanager.CreateSecretInput{Name: aws.String("big"), SecretString: aws.String(strings.Repeat("x", 65537))}, "ValidationException"},
		{secretsmanager.CreateSecretInput{Name: aws.String("nov")}, ""},
	}
	for _, tt := range tests {
		out, err := c.CreateSecret(t.Context(), &tt.in)
		if code(err) != tt.code {
			t.Errorf("CreateSecret(%s) = %v; want %q", *tt.in.Name, err, tt.code)
		}
		if err == nil && (tt.in.SecretString != nil) != (out.VersionId != nil) {
			t.Errorf("CreateSecret(%s) VersionId = %v", *tt.in.Name, val(out.VersionId))
		}
	}
	if _, err := c.DeleteSecret(t.Context(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("new"), RecoveryWindowInDays: aws.Int64(3)}); code(err) != "InvalidParameterException" {
		t.Errorf("DeleteSecret(window 3) = %v", err)
	}
	out, err := c.DeleteSecret(t.Context(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("new"), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil || out.DeletionDate == nil {
		t.Fatalf("DeleteSecret = %v, %v", out, err)
	}
	if _, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("new")}); code(err) != "InvalidRequestException" {
		t.Errorf("GetSecretValue after DeleteSecret = %v; want InvalidRequestException", err)
	}
	if _, err := c.DeleteSecret(t.Context(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("new")}); code(err) != "InvalidRequestException" {
		t.Errorf("DeleteSecret twice = %v; want InvalidRequestException", err)
	}
	if _, err := c.DeleteSecret(t.Context(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("new"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("new")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("GetSecretValue after force delete = %v; want ResourceNotFoundException", err)
	}
	// Re-created, the secret gets a new ARN suffix.
	d1, _ := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("str")})
	if _, err := c.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	d2, _ := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("new")})
	if *d2.ARN == *out.ARN || *d1.ARN == *d2.ARN {
		t.Errorf("re-created secret kept its ARN %s", *d2.ARN)
	}
	if err := s.DeleteSecret("nope"); err == nil {
		t.Errorf("seed DeleteSecret(nope): no error")
	}
	if _, err := s.PutSecretValue("nope", sourcetest.SecretVersion{String: ptr("x")}); err == nil {
		t.Errorf("seed PutSecretValue(nope): no error")
	}
	if _, err := s.CreateSecret(sourcetest.Secret{Name: "str"}, sourcetest.SecretVersion{}); err == nil {
		t.Errorf("seed CreateSecret(str) twice: no error")
	}
}
