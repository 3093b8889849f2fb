package printertest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/davecgh/go-spew/spew"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
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
func values(t *testing.T, name string) (holder, *cache.Cache) {
	t.Helper()
	srv := sourcetest.NewServer() // on loopback: the cache's clients hold no reference to the fake's store
	t.Cleanup(srv.Close)
	ctx := context.Background()
	value := canary + "-" + name // the canary, and different in each holder, so that diffs show the values' lines
	for _, p := range []sourcetest.Parameter{
		{Name: "/app/" + name, Value: value, Type: "SecureString"},
		{Name: "/app/pin", Value: `{"pin":` + strings.Repeat("9", 12) + `}`},
		{Name: "/app/json", Value: `{"Password":"` + value + `"}`},
	} {
		if _, err := srv.PutParameter(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/s"}, sourcetest.SecretVersion{String: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/b"}, sourcetest.SecretVersion{Binary: []byte(value)}); err != nil {
		t.Fatal(err)
	}
	// Clients that keep no connection open: net/http keeps an idle
	// connection's read buffer, which holds the last answer's bytes, and
	// a dump of the cache reaches it through the clients (see the
	// package's doc).
	cfg := srv.Config()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	c, err := cache.New(source.New(cfg))
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
	type config struct{ Password string }
	if _, err := cache.ParameterJSON[config](ctx, c, cache.ParameterRequest{Name: "/app/json"}); err != nil {
		t.Fatal(err) // a decoded value the cache keeps with its entry
	}
	if h.param.Value() != value || h.ref.SourceResult() == "" || h.secret.Value() != value || string(h.binary.Binary()) != value {
		t.Fatal("the values were not read")
	}
	return h, c
}

// leaks reports what of the canary an output shows: the text, its hex, a
// hex dump of its bytes (spew dumps a []byte as hexdump -C does, 16 bytes
// a line with an offset and an ASCII column, which split the text), or the
// digits of the number that did not fit.
func leaks(out string) []string {
	var found []string
	for _, s := range []string{canary, hex.EncodeToString([]byte(canary)), strings.Repeat("9", 12)} {
		if strings.Contains(out, s) {
			found = append(found, s)
		}
	}
	for _, b := range hexdumps(out) {
		if bytes.Contains(b, []byte(canary)) {
			found = append(found, "hex dump of "+canary)
		}
	}
	return found
}

// hexDumpLine is a line of a hex dump: offset, bytes, ASCII column.
var hexDumpLine = regexp.MustCompile(`^\s*[0-9a-f]{8}((?:\s+[0-9a-f]{2})+)\s+\|`)

// hexdumps returns the bytes of each run of hex dump lines in out.
func hexdumps(out string) [][]byte {
	var dumps [][]byte
	var cur []byte
	for line := range strings.SplitSeq(out, "\n") {
		m := hexDumpLine.FindStringSubmatch(line)
		if m == nil {
			if cur != nil {
				dumps, cur = append(dumps, cur), nil
			}
			continue
		}
		for f := range strings.FieldsSeq(m[1]) {
			b, err := hex.DecodeString(f)
			if err == nil {
				cur = append(cur, b...)
			}
		}
	}
	if cur != nil {
		dumps = append(dumps, cur)
	}
	return dumps
}

// TestLeakDetection: the detector finds the canary in each form a printer
// can show it (so that TestPrintersShowNoValue can fail).
func TestLeakDetection(t *testing.T) {
	for name, out := range map[string]string{
		"text":         "x " + canary + " y",
		"hex":          fmt.Sprintf("%x", canary),
		"spew hexdump": spew.Sdump([]byte("some bytes first, " + canary)),
		"digits":       "JSON number " + strings.Repeat("9", 12),
	} {
		if len(leaks(out)) == 0 {
			t.Errorf("%s: no leak found in %q", name, out)
		}
	}
	if l := leaks(spew.Sdump([]byte("nothing here"))); len(l) != 0 {
		t.Errorf("leaks in a harmless dump: %q", l)
	}
}

// TestPrintersShowNoValue prints parsec's values and errors with each
// printer, alone, inside a caller's struct and behind pointers, and in a
// failing comparison, and finds the canary in none of the outputs.
func TestPrintersShowNoValue(t *testing.T) {
	a, _ := values(t, "a")
	b, _ := values(t, "b") // b differs from a in the parameter's name
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
