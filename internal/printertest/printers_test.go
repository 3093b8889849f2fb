package printertest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/davecgh/go-spew/spew"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

const canary = "CANARY-7d3c9e1f-printer"

// holder is a caller's struct with parsec's values in unexported fields,
// by value and behind pointers.
type holder struct {
	param  cache.Parameter
	ref    cache.Parameter
	secret cache.Secret
	binary *cache.Secret
	err    error
}

// recorder is an assert.TestingT that keeps what testify reports.
type recorder struct{ out strings.Builder }

func (r *recorder) Errorf(format string, args ...any) { fmt.Fprintf(&r.out, format, args...) }

// values reads a parameter, a reference to a secret, a string secret and
// a binary secret, all holding the canary, and an error of a value that
// does not fit its type.
func values(t *testing.T, name string) holder {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	for _, p := range []sourcetest.Parameter{
		{Name: "/app/" + name, Value: canary, Type: "SecureString"},
		{Name: "/app/pin", Value: `{"pin":` + strings.Repeat("9", 12) + `}`},
	} {
		if _, err := srv.PutParameter(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/s"}, sourcetest.SecretVersion{String: aws.String(canary)}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/b"}, sourcetest.SecretVersion{Binary: []byte(canary)}); err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(srv.InMemoryClients())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var h holder
	if h.param, err = c.Parameter(ctx, cache.ParameterRequest{Name: "/app/" + name, WithDecryption: true}); err != nil {
		t.Fatal(err)
	}
	if h.ref, err = c.Parameter(ctx, cache.ParameterRequest{Name: "/aws/reference/secretsmanager/app/s", WithDecryption: true}); err != nil {
		t.Fatal(err)
	}
	if h.secret, err = c.Secret(ctx, cache.SecretRequest{SecretID: "app/s"}); err != nil {
		t.Fatal(err)
	}
	b, err := c.Secret(ctx, cache.SecretRequest{SecretID: "app/b"})
	if err != nil {
		t.Fatal(err)
	}
	h.binary = &b
	type pin struct {
		Pin uint8 `json:"pin"`
	}
	_, h.err = cache.ParameterJSON[pin](ctx, c, cache.ParameterRequest{Name: "/app/pin"})
	if !errors.Is(h.err, cache.ErrDecode) {
		t.Fatalf("ParameterJSON of a number that does not fit = %v; want ErrDecode", h.err)
	}
	if h.param.Value() != canary || h.ref.SourceResult() == "" || h.secret.Value() != canary || string(h.binary.Binary()) != canary {
		t.Fatal("the values were not read")
	}
	return h
}

// leaks reports what of the canary an output shows: the text, its hex
// (spew dumps a []byte as hex), or the digits of the number that did not
// fit.
func leaks(out string) []string {
	var found []string
	flat := strings.ReplaceAll(out, " ", "")
	for _, s := range []string{canary, hex.EncodeToString([]byte(canary)), strings.Repeat("9", 12)} {
		if strings.Contains(out, s) || strings.Contains(flat, s) {
			found = append(found, s)
		}
	}
	return found
}

// TestPrintersShowNoValue prints parsec's values and errors with each
// printer, alone, inside a caller's struct and behind pointers, and in a
// failing comparison, and finds the canary in none of the outputs.
func TestPrintersShowNoValue(t *testing.T) {
	a, b := values(t, "a"), values(t, "b") // b differs from a in the parameter's name
	raw := spew.ConfigState{Indent: " ", DisableMethods: true, DisablePointerMethods: true}
	testifyLike := spew.ConfigState{Indent: " ", DisablePointerAddresses: true, DisableCapacities: true, SortKeys: true, DisableMethods: true, MaxDepth: 10}
	everything := cmp.Exporter(func(reflect.Type) bool { return true })
	things := map[string]any{
		"Parameter": a.param, "reference": a.ref, "Secret": a.secret, "binary Secret": a.binary,
		"error": a.err, "holder": a, "*holder": &a,
	}
	outputs := map[string]string{}
	for name, v := range things {
		outputs["spew.Sdump "+name] = spew.Sdump(v)
		outputs["spew DisableMethods "+name] = raw.Sdump(v)
		outputs["spew as testify "+name] = testifyLike.Sdump(v)
		outputs["%+v "+name] = fmt.Sprintf("%+v", v)
		outputs["%#v "+name] = fmt.Sprintf("%#v", v)
	}
	r := &recorder{}
	assert.Equal(r, a, b)
	assert.Equal(r, &a, &b)
	assert.Equal(r, a.param, b.param)
	assert.Equal(r, a.binary, cache.Secret{})
	assert.Equal(r, a.err, errors.New("another"))
	assert.Empty(r, a)
	outputs["testify assert.Equal and Empty"] = r.out.String()
	if !strings.Contains(r.out.String(), "Diff:") {
		t.Errorf("testify reported no diff: %s", r.out.String())
	}
	outputs["cmp.Diff holder"] = cmp.Diff(a, b, everything)
	outputs["cmp.Diff Parameter"] = cmp.Diff(a.param, b.param, everything)
	outputs["cmp.Diff Secret"] = cmp.Diff(*a.binary, cache.Secret{}, everything)
	if outputs["cmp.Diff holder"] == "" {
		t.Errorf("cmp.Diff found no difference between two holders of different parameters")
	}
	for name, out := range outputs {
		if l := leaks(out); len(l) > 0 {
			t.Errorf("%s shows %q:\n%s", name, l, out)
		}
	}
}
