package sourcetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/internal/motoserver"
)

// TestDifferentialMoto sends the same calls through the real SDK to
// moto_server and to the fake and asserts equal results for what both
// support. It compares only what is not random: never ARN suffixes,
// version ids or dates.
//
// Deliberate differences, not asserted here (the fake follows AWS; the
// fake's own tests cover them):
//   - Selector: AWS returns ":3" / ":Dev" for a selector in the name; moto
//     returns none.
//   - SecureString read without decryption: AWS returns the KMS ciphertext;
//     moto returns "kms:KEY:PLAINTEXT". Only decrypted reads are compared.
//   - Limits: moto enforces no name character, length, depth or value-size
//     rule; the fake enforces AWS's.
//   - ResourceNotFoundException has HTTP 400 in AWS and the fake, 404 in
//     moto (and moto's InvalidRequestException for a stage/version
//     mismatch is 404 too): codes are compared, never statuses.
//   - Error messages differ in places (for example a missing stage): only
//     codes are compared.
//   - /aws/reference/secretsmanager/: moto's Name is the bare secret name,
//     its ARN a parameter ARN, its Version not 0 in every case, a binary
//     secret gives HTTP 500: only Value and Type are compared.
//   - DescribeSecret: moto lists versions with no stage left; AWS lists only
//     versions with stages. Stage-less versions are dropped before
//     comparing.
//   - PutSecretValue demoting AWSCURRENT: moto replaces every stage of the
//     former current version with AWSPREVIOUS; AWS keeps its custom
//     stages. The calls below never put custom stages on such a version.
//   - After UpdateSecretVersionStage moves AWSCURRENT, moto's
//     GetSecretValue without VersionId/VersionStage still returns the former
//     current version (its default_version_id is not updated); AWS and the
//     fake return the version holding AWSCURRENT. Compared with the stage
//     named.
//   - GetParameters order: moto does not keep the request's order; results
//     are sorted before comparing.
//   - GetParametersByPath paging: tokens differ (moto: offsets; fake: last
//     name), so the union of all pages is compared.
func TestDifferentialMoto(t *testing.T) {
	moto := motoserver.Require(t)
	fake := newServer(t)
	type env struct {
		ssm *ssm.Client
		sm  *secretsmanager.Client
	}
	envs := map[string]env{
		"moto": {ssm.NewFromConfig(moto.Config()), secretsmanager.NewFromConfig(moto.Config())},
		"fake": {fake.SSM(), fake.SecretsManager()},
	}
	type step struct {
		desc string
		run  func(ctx context.Context, e env) (any, error)
	}
	getParam := func(name string, decrypt bool) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) {
			out, err := e.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: &decrypt})
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(name, "/aws/reference/") {
				return fmt.Sprintf("%s %s", out.Parameter.Type, val(out.Parameter.Value)), nil
			}
			return normParam(out.Parameter), nil
		}
	}
	getParams := func(decrypt bool, names ...string) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) {
			out, err := e.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: &decrypt})
			if err != nil {
				return nil, err
			}
			var ps []string
			for _, p := range out.Parameters {
				ps = append(ps, normParam(&p))
			}
			slices.Sort(ps)
			inv := slices.Sorted(slices.Values(out.InvalidParameters))
			return fmt.Sprint(ps, " invalid:", inv), nil
		}
	}
	byPath := func(path string, recursive bool, max int32) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) {
			var ps []string
			pg := ssm.NewGetParametersByPathPaginator(e.ssm, &ssm.GetParametersByPathInput{Path: &path, Recursive: &recursive, WithDecryption: aws.Bool(true), MaxResults: &max})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				if len(out.Parameters) > int(max) {
					return nil, fmt.Errorf("page of %d > MaxResults %d", len(out.Parameters), max)
				}
				for _, p := range out.Parameters {
					ps = append(ps, normParam(&p))
				}
			}
			slices.Sort(ps)
			return ps, nil
		}
	}
	// versionWith returns the id of the version of secret id holding stage.
	versionWith := func(ctx context.Context, e env, id, stage string) string {
		d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &id})
		if err != nil {
			return "describe-failed"
		}
		for v, st := range d.VersionIdsToStages {
			if slices.Contains(st, stage) {
				return v
			}
		}
		return "no-version-with-" + stage
	}
	getSecret := func(id, versionOfStage, stage string) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) {
			in := &secretsmanager.GetSecretValueInput{SecretId: &id}
			if versionOfStage != "" {
				in.VersionId = aws.String(versionWith(ctx, e, id, versionOfStage))
			}
			if stage != "" {
				in.VersionStage = &stage
			}
			out, err := e.sm.GetSecretValue(ctx, in)
			if err != nil {
				return nil, err
			}
			arn := *out.ARN
			return fmt.Sprintf("%s %s %s %x %q", arn[:strings.LastIndexByte(arn, '-')], *out.Name, val(out.SecretString), out.SecretBinary, out.VersionStages), nil
		}
	}
	describe := func(id string) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) {
			d, err := e.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &id})
			if err != nil {
				return nil, err
			}
			var vs []string
			for v, st := range d.VersionIdsToStages {
				if len(st) == 0 {
					continue
				}
				out, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id, VersionId: &v})
				if err != nil {
					return nil, err
				}
				vs = append(vs, fmt.Sprintf("%s=%q", val(out.SecretString), slices.Sorted(slices.Values(st))))
			}
			slices.Sort(vs)
			return fmt.Sprint(*d.Name, vs), nil
		}
	}
	do := func(f func(context.Context, env) error) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) { return "ok", f(ctx, e) }
	}
	put := func(name, value string, typ ssmtypes.ParameterType, overwrite bool) func(context.Context, env) (any, error) {
		return func(ctx context.Context, e env) (any, error) {
			in := &ssm.PutParameterInput{Name: &name, Value: &value, Type: typ, Overwrite: &overwrite}
			out, err := e.ssm.PutParameter(ctx, in)
			if err != nil {
				return nil, err
			}
			return out.Version, nil
		}
	}
	steps := []step{
		{"put str", put("/d/str", "one", "String", false)},
		{"put str again", put("/d/str", "x", "String", false)},
		{"overwrite str", put("/d/str", "two", "", true)},
		{"overwrite str 3", put("/d/str", "three", "", true)},
		{"put list", put("/d/list", "a,b,c", "StringList", false)},
		{"put secure", put("/d/sec", "hush", "SecureString", false)},
		{"put secure key", do(func(ctx context.Context, e env) error {
			_, err := e.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/d/key"), Value: aws.String("k"), Type: "SecureString", KeyId: aws.String("alias/custom")})
			return err
		})},
		{"put top", put("top", "t", "String", false)},
		{"put reserved", put("aws-thing", "t", "String", false)},
		{"label v1", do(func(ctx context.Context, e env) error {
			_, err := e.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/d/str"), ParameterVersion: aws.Int64(1), Labels: []string{"Dev", "Old"}})
			return err
		})},
		{"move label", do(func(ctx context.Context, e env) error {
			out, err := e.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/d/str"), ParameterVersion: aws.Int64(2), Labels: []string{"Dev", "9bad"}})
			if err == nil && !slices.Equal(out.InvalidLabels, []string{"9bad"}) {
				err = fmt.Errorf("InvalidLabels %q", out.InvalidLabels)
			}
			return err
		})},
		{"label missing version", do(func(ctx context.Context, e env) error {
			_, err := e.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/d/str"), ParameterVersion: aws.Int64(9), Labels: []string{"X"}})
			return err
		})},
		{"get str", getParam("/d/str", false)},
		{"get str:1", getParam("/d/str:1", false)},
		{"get str:2", getParam("/d/str:2", true)},
		{"get str:Dev", getParam("/d/str:Dev", false)},
		{"get str:Old", getParam("/d/str:Old", false)},
		{"get str:9", getParam("/d/str:9", false)},
		{"get str:Nope", getParam("/d/str:Nope", false)},
		{"get list", getParam("/d/list", false)},
		{"get secure decrypted", getParam("/d/sec", true)},
		{"get custom key decrypted", getParam("/d/key", true)},
		{"get top", getParam("top", false)},
		{"get /top", getParam("/top", false)},
		{"get missing", getParam("/d/none", false)},
		{"get by ARN", getParam("arn:aws:ssm:us-east-1:123456789012:parameter/d/list", false)},
		{"get parameters", getParams(true, "/d/str", "/d/none", "/d/list", "/d/str:1", "/d/str:9", "/d/sec")},
		{"get parameters 11", getParams(false, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")},
	}
	for _, n := range []string{"/t/a", "/t/b", "/t/sub/c", "/t/sub/deep/d", "/tx/no"} {
		steps = append(steps, step{"put " + n, put(n, "v"+n, "String", false)})
	}
	for i := range 13 {
		steps = append(steps, step{"put many", put(fmt.Sprintf("/m/p%02d", i), fmt.Sprint(i), "SecureString", false)})
	}
	steps = append(steps, []step{
		{"path /t", byPath("/t", false, 10)},
		{"path /t/", byPath("/t/", false, 10)},
		{"path /t recursive", byPath("/t", true, 10)},
		{"path /t recursive pages of 1", byPath("/t", true, 1)},
		{"path /m pages of 10", byPath("/m", false, 10)},
		{"path /m pages of 3", byPath("/m", true, 3)},
		{"path max 11", byPath("/m", true, 11)},
		{"delete parameter", do(func(ctx context.Context, e env) error {
			_, err := e.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/t/a")})
			return err
		})},
		{"get deleted", getParam("/t/a", false)},
		{"delete again", do(func(ctx context.Context, e env) error {
			_, err := e.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/t/a")})
			return err
		})},
		{"create secret", do(func(ctx context.Context, e env) error {
			_, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s-str"), SecretString: aws.String("v1")})
			return err
		})},
		{"create secret again", do(func(ctx context.Context, e env) error {
			_, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s-str"), SecretString: aws.String("v1")})
			return err
		})},
		{"put v2", do(func(ctx context.Context, e env) error {
			_, err := e.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s-str"), SecretString: aws.String("v2")})
			return err
		})},
		{"put v3", do(func(ctx context.Context, e env) error {
			out, err := e.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s-str"), SecretString: aws.String("v3")})
			if err == nil && !slices.Equal(out.VersionStages, []string{"AWSCURRENT"}) {
				err = fmt.Errorf("VersionStages %q", out.VersionStages)
			}
			return err
		})},
		{"create binary", do(func(ctx context.Context, e env) error {
			_, err := e.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s-bin"), SecretBinary: []byte{0, 1, 2, 0xfe, 0xff}})
			return err
		})},
		{"put custom stage", do(func(ctx context.Context, e env) error {
			_, err := e.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s-str"), SecretString: aws.String("blue"), VersionStages: []string{"BLUE"}})
			return err
		})},
		{"describe", describe("s-str")},
		{"get current", getSecret("s-str", "", "")},
		{"get AWSCURRENT", getSecret("s-str", "", "AWSCURRENT")},
		{"get AWSPREVIOUS", getSecret("s-str", "", "AWSPREVIOUS")},
		{"get BLUE", getSecret("s-str", "", "BLUE")},
		{"get missing stage", getSecret("s-str", "", "NOPE")},
		{"get by version id", getSecret("s-str", "AWSPREVIOUS", "")},
		{"get by version id and stage", getSecret("s-str", "AWSPREVIOUS", "AWSPREVIOUS")},
		{"get missing version id", func(ctx context.Context, e env) (any, error) {
			_, err := e.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s-str"), VersionId: aws.String("00000000-0000-0000-0000-000000000000")})
			return nil, err
		}},
		{"get binary", getSecret("s-bin", "", "")},
		{"get missing secret", getSecret("s-none", "", "")},
		{"batch", func(ctx context.Context, e env) (any, error) {
			out, err := e.sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"s-str", "s-none", "s-bin"}})
			if err != nil {
				return nil, err
			}
			var r []string
			for _, v := range out.SecretValues {
				r = append(r, fmt.Sprintf("%s=%s%x", *v.Name, val(v.SecretString), v.SecretBinary))
			}
			for _, x := range out.Errors {
				r = append(r, fmt.Sprintf("%s:%s", *x.SecretId, *x.ErrorCode))
			}
			slices.Sort(r)
			return r, nil
		}},
		{"reference", getParam("/aws/reference/secretsmanager/s-str", true)},
		{"reference AWSPREVIOUS", getParam("/aws/reference/secretsmanager/s-str:AWSPREVIOUS", true)},
		{"reference without decryption", getParam("/aws/reference/secretsmanager/s-str", false)},
		{"reference missing", getParam("/aws/reference/secretsmanager/s-none", true)},
		{"roll back", do(func(ctx context.Context, e env) error {
			_, err := e.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String("s-str"), VersionStage: aws.String("AWSCURRENT"),
				MoveToVersionId:     aws.String(versionWith(ctx, e, "s-str", "AWSPREVIOUS")),
				RemoveFromVersionId: aws.String(versionWith(ctx, e, "s-str", "AWSCURRENT")),
			})
			return err
		})},
		{"describe after roll back", describe("s-str")},
		// With the stage named: moto's default read after
		// UpdateSecretVersionStage still returns the former AWSCURRENT.
		{"get after roll back", getSecret("s-str", "", "AWSCURRENT")},
		{"delete secret", do(func(ctx context.Context, e env) error {
			_, err := e.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("s-bin")})
			return err
		})},
		{"get deleted secret", getSecret("s-bin", "", "")},
		{"delete deleted secret", do(func(ctx context.Context, e env) error {
			_, err := e.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("s-bin")})
			return err
		})},
		{"force delete", do(func(ctx context.Context, e env) error {
			_, err := e.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("s-bin"), ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		})},
		{"get force-deleted secret", getSecret("s-bin", "", "")},
	}...)
	ctx := motoserver.WithTimeout(t)
	for _, st := range steps {
		results := map[string]string{}
		for name, e := range envs {
			out, err := st.run(ctx, e)
			if err != nil {
				c := code(err)
				if c == "" {
					c = err.Error()
				}
				results[name] = "error " + c
				continue
			}
			b, _ := json.Marshal(out)
			results[name] = string(b)
		}
		if results["moto"] != results["fake"] {
			t.Errorf("%s:\n moto: %s\n fake: %s", st.desc, results["moto"], results["fake"])
		}
	}
}

// normParam keeps the fields of a parameter that both servers set alike.
func normParam(p *ssmtypes.Parameter) string {
	v := val(p.Value)
	return fmt.Sprintf("%s %s %s=%s v%d %s", val(p.ARN), val(p.Name), p.Type, v, p.Version, val(p.DataType))
}
