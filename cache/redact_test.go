package cache

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const canary = "CANARY-5f0e8a1d-secret"

func TestValuesRedactThemselves(t *testing.T) {
	f := newFake()
	f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(canary),
			SourceResult: aws.String(`{"secretString":"` + canary + `"}`), Type: ssmtypes.ParameterTypeSecureString}}, nil
	}
	f.secretFn = func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(canary), SecretBinary: []byte(canary)}, nil
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := mustNew(t, f.clients(), WithLogger(logger))
	p, err := c.Parameter(context.Background(), ParameterRequest{Name: "/s", WithDecryption: true})
	if err != nil || p.Value() != canary {
		t.Fatalf("Parameter = %v, %v", p.Name, err)
	}
	s, err := c.Secret(context.Background(), SecretRequest{SecretID: "s"})
	if err != nil || s.Value() != canary {
		t.Fatalf("Secret = %v, %v", s.Name, err)
	}
	type holder struct {
		P Parameter
		S Secret
	}
	outputs := []string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs, fmt.Sprintf(verb, p), fmt.Sprintf(verb, s), fmt.Sprintf(verb, holder{p, s}), fmt.Sprintf(verb, &p))
	}
	outputs = append(outputs, p.String(), s.String(), p.GoString(), s.GoString())
	logger.Info("values", "param", p, "secret", s, "both", holder{p, s})
	outputs = append(outputs, logs.String())
	for _, o := range outputs {
		if strings.Contains(o, canary) || strings.Contains(o, fmt.Sprintf("%x", canary)) {
			t.Errorf("output leaks the value: %s", o)
		}
	}
	if !strings.Contains(logs.String(), `"name":"/s"`) {
		t.Errorf("log %s does not name the parameter", logs.String())
	}
	// Copies handed out cannot change what the next reader gets.
	b := s.Binary()
	b[0] = 'X'
	s.Output().SecretBinary[0] = 'Y'
	if s2, _ := c.Secret(context.Background(), SecretRequest{SecretID: "s"}); string(s2.Binary()) != canary {
		t.Errorf("a caller changed the cached binary")
	}
}

// fmt prints a value held in an unexported field by reflection, without
// calling its String or Format methods; the secret bytes sit behind a
// pointer, which reflection prints as an address (issue 11, item 7).
func TestValuesDoNotLeakByReflection(t *testing.T) {
	f := newFake()
	f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(canary),
			SourceResult: aws.String(`{"secretString":"` + canary + `"}`), Type: ssmtypes.ParameterTypeSecureString}}, nil
	}
	f.secretFn = func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(canary), SecretBinary: []byte(canary)}, nil
	}
	c := mustNew(t, f.clients())
	ctx := context.Background()
	p, err := c.Parameter(ctx, ParameterRequest{Name: "/s", WithDecryption: true})
	if err != nil || p.Value() != canary || !strings.Contains(p.SourceResult(), canary) {
		t.Fatalf("Parameter = %v, %v", p.Name, err)
	}
	s, err := c.Secret(ctx, SecretRequest{SecretID: "s"})
	if err != nil || s.Value() != canary {
		t.Fatalf("Secret = %v, %v", s.Name, err)
	}
	type config struct { // a caller's struct, fields unexported
		dbHost   Parameter
		password Secret
		params   []Parameter
		ptr      *Secret
		anyValue any
	}
	v := config{dbHost: p, password: s, params: []Parameter{p}, ptr: &s, anyValue: struct{ p Parameter }{p}}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs = append(outputs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, &v), fmt.Sprintf(verb, []config{v}))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("config", "cfg", v, "ptr", &v, "list", []config{v})
		outputs = append(outputs, b.String())
	}
	hexCanary := fmt.Sprintf("%x", canary)
	for _, o := range outputs {
		if strings.Contains(o, canary) || strings.Contains(strings.ToLower(o), hexCanary) || strings.Contains(o, bytesOf(canary)) {
			t.Errorf("output leaks the value: %s", o)
		}
	}
}

// bytesOf is how %v prints a []byte holding s: "[67 65 …]".
func bytesOf(s string) string { return strings.Trim(fmt.Sprint([]byte(s)), "[]") }
