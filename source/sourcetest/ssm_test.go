package sourcetest_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/source/sourcetest"
)

var clock = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// seedParams seeds /app/str (v1 "one" labelled Dev, v2 "two"), /app/list,
// /app/sec (SecureString) and the one-level name "top".
func seedParams(t *testing.T, s *sourcetest.Server) {
	t.Helper()
	for _, p := range []sourcetest.Parameter{
		{Name: "/app/str", Value: "one", Labels: []string{"Dev"}},
		{Name: "/app/str", Value: "two"},
		{Name: "/app/list", Type: "StringList", Value: "a,b,c"},
		{Name: "/app/sec", Type: "SecureString", Value: "secret-plaintext"},
		{Name: "top", Value: "level"},
	} {
		if _, err := s.PutParameter(p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGetParameter(t *testing.T) {
	s := newServer(t, sourcetest.WithClock(func() time.Time { return clock }))
	seedParams(t, s)
	c := s.SSM()
	tests := []struct {
		name     string
		decrypt  bool
		value    string
		version  int64
		selector string // "" = nil
		typ      string
		code     string
	}{
		{name: "/app/str", value: "two", version: 2, typ: "String"},
		{name: "/app/str:1", value: "one", version: 1, selector: ":1", typ: "String"},
		{name: "/app/str:2", value: "two", version: 2, selector: ":2", typ: "String"},
		{name: "/app/str:Dev", value: "one", version: 1, selector: ":Dev", typ: "String"},
		{name: "/app/str:3", code: "ParameterVersionNotFound"},
		{name: "/app/str:0", code: "ParameterVersionNotFound"},
		{name: "/app/str:99999999999999999999", code: "ParameterVersionNotFound"},
		{name: "/app/str:Prod", code: "ParameterNotFound"},
		{name: "/app/str:", code: "ParameterNotFound"},
		{name: "/nope", code: "ParameterNotFound"},
		{name: "arn:aws:ssm:us-east-1:123456789012:parameter/app/str:1", value: "one", version: 1, selector: ":1", typ: "String"},
		{name: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/str", code: "ParameterNotFound"},
		{name: "top", value: "level", version: 1, typ: "String"},
		{name: "/top", value: "level", version: 1, typ: "String"},
		{name: "/app/list", value: "a,b,c", version: 1, typ: "StringList"},
		{name: "/app/sec", decrypt: true, value: "secret-plaintext", version: 1, typ: "SecureString"},
		{name: "/app/str", decrypt: true, value: "two", version: 2, typ: "String"},
		{name: strings.Repeat("a", 2049), code: "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name[:min(len(tt.name), 40)], func(t *testing.T) {
			out, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: &tt.name, WithDecryption: &tt.decrypt})
			if tt.code != "" {
				if code(err) != tt.code || status(err) != 400 {
					t.Fatalf("GetParameter(%q) error = %v (HTTP %d); want %s (HTTP 400)", tt.name, err, status(err), tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetParameter(%q) = %v", tt.name, err)
			}
			p := out.Parameter
			if val(p.Value) != tt.value || p.Version != tt.version || string(p.Type) != tt.typ {
				t.Errorf("GetParameter(%q) = %s v%d %s; want %s v%d %s", tt.name, val(p.Value), p.Version, p.Type, tt.value, tt.version, tt.typ)
			}
			if want := map[bool]string{true: "<nil>", false: tt.selector}[tt.selector == ""]; val(p.Selector) != want {
				t.Errorf("Selector = %s; want %s", val(p.Selector), want)
			}
			if p.SourceResult != nil || val(p.DataType) != "text" || !p.LastModifiedDate.Equal(clock.Truncate(time.Millisecond)) {
				t.Errorf("SourceResult, DataType, LastModifiedDate = %s, %s, %v", val(p.SourceResult), val(p.DataType), p.LastModifiedDate)
			}
			if wantARN := "arn:aws:ssm:us-east-1:123456789012:parameter/" + strings.TrimPrefix(val(p.Name), "/"); val(p.ARN) != wantARN {
				t.Errorf("ARN = %s; want %s", val(p.ARN), wantARN)
			}
		})
	}
}

func TestGetParameterTypedErrors(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	_, err := s.SSM().GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/nope")})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.As(err, &pnf) {
		t.Errorf("GetParameter(/nope) = %T %v; want *types.ParameterNotFound", err, err)
	}
	_, err = s.SSM().GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/app/str:7")})
	var pvnf *ssmtypes.ParameterVersionNotFound
	if !errors.As(err, &pvnf) {
		t.Errorf("GetParameter(/app/str:7) = %T %v; want *types.ParameterVersionNotFound", err, err)
	}
}

func TestSecureStringWithoutDecryption(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	if _, err := s.PutParameter(sourcetest.Parameter{Name: "/app/sec2", Type: "SecureString", Value: "x", Ciphertext: "AQICAHgiven"}); err != nil {
		t.Fatal(err)
	}
	c := s.SSM()
	get := func(name string) string {
		out, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return *out.Parameter.Value
	}
	v := get("/app/sec")
	if !strings.HasPrefix(v, "AQICAH") || strings.Contains(v, "secret-plaintext") || len(v) < 100 {
		t.Errorf("ciphertext = %q; want opaque base64 starting AQICAH without the plaintext", v)
	}
	if again := get("/app/sec"); again != v {
		t.Errorf("ciphertext changed between reads: %q then %q", v, again)
	}
	if got := get("/app/sec2"); got != "AQICAHgiven" {
		t.Errorf("seeded ciphertext = %q; want AQICAHgiven", got)
	}
	// The same seed gives the same ciphertext in another server.
	s2 := newServer(t)
	seedParams(t, s2)
	out, _ := s2.SSM().GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/app/sec")})
	if *out.Parameter.Value != v {
		t.Errorf("ciphertext is not deterministic: %q vs %q", *out.Parameter.Value, v)
	}
}

func TestGetParameters(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	out, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{
		Names:          []string{"/app/list", "/missing", "/app/str:1", "/app/str:9", "/app/sec", "/app/list"},
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, fmt.Sprintf("%s=%s%s", *p.Name, *p.Value, val(p.Selector)))
	}
	want := []string{"/app/list=a,b,c<nil>", "/app/str=one:1", "/app/sec=secret-plaintext<nil>"}
	if !slices.Equal(got, want) {
		t.Errorf("Parameters = %q; want %q", got, want)
	}
	if wantInv := []string{"/missing", "/app/str:9"}; !slices.Equal(out.InvalidParameters, wantInv) {
		t.Errorf("InvalidParameters = %q; want %q", out.InvalidParameters, wantInv)
	}
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("/p%d", i)
	}
	for _, names := range [][]string{eleven, {}} {
		if _, err := c.GetParameters(t.Context(), &ssm.GetParametersInput{Names: names}); code(err) != "ValidationException" {
			t.Errorf("GetParameters(%d names) = %v; want ValidationException", len(names), err)
		}
	}
}

func TestGetParametersByPath(t *testing.T) {
	s := newServer(t)
	for _, n := range []string{"/a/x", "/a/y", "/a/b/z", "/a/b/c/w", "/ab/no", "/other"} {
		if _, err := s.PutParameter(sourcetest.Parameter{Name: n, Value: "v" + n}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 23 {
		if _, err := s.PutParameter(sourcetest.Parameter{Name: fmt.Sprintf("/many/p%02d", i), Type: "SecureString", Value: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := s.SSM()
	tests := []struct {
		path      string
		recursive bool
		max       int32
		want      []string
		pages     int
	}{
		{"/a", false, 0, []string{"/a/x", "/a/y"}, 1},
		{"/a/", false, 0, []string{"/a/x", "/a/y"}, 1},
		{"/a", true, 0, []string{"/a/b/c/w", "/a/b/z", "/a/x", "/a/y"}, 1},
		{"/a", true, 1, []string{"/a/b/c/w", "/a/b/z", "/a/x", "/a/y"}, 4},
		{"/a/b", true, 0, []string{"/a/b/c/w", "/a/b/z"}, 1},
		{"/none", true, 0, nil, 1},
		{"/many", false, 0, nil, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s-%v-%d", tt.path, tt.recursive, tt.max), func(t *testing.T) {
			in := &ssm.GetParametersByPathInput{Path: &tt.path, Recursive: &tt.recursive, WithDecryption: aws.Bool(true)}
			if tt.max > 0 {
				in.MaxResults = &tt.max
			}
			var got []string
			pages := 0
			for p := ssm.NewGetParametersByPathPaginator(c, in); p.HasMorePages(); {
				out, err := p.NextPage(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, prm := range out.Parameters {
					got = append(got, *prm.Name)
					if *prm.Value != "v"+*prm.Name && !strings.HasPrefix(*prm.Name, "/many/") {
						t.Errorf("%s = %s", *prm.Name, *prm.Value)
					}
				}
			}
			if tt.path == "/many" {
				if len(got) != 23 || !slices.IsSorted(got) {
					t.Errorf("GetParametersByPath(/many) = %q; want 23 sorted names", got)
				}
			} else if !slices.Equal(got, tt.want) {
				t.Errorf("GetParametersByPath(%s) = %q; want %q", tt.path, got, tt.want)
			}
			if pages != tt.pages {
				t.Errorf("pages = %d; want %d", pages, tt.pages)
			}
		})
	}
	for _, in := range []*ssm.GetParametersByPathInput{
		{Path: aws.String("/a"), MaxResults: aws.Int32(11)},
		{Path: aws.String("a")},
		{Path: aws.String("/a"), NextToken: aws.String("!!!")},
		{Path: aws.String("/a"), ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Type")}}},
	} {
		if _, err := c.GetParametersByPath(t.Context(), in); code(err) != "ValidationException" {
			t.Errorf("GetParametersByPath(%s, max %v, token %v) = %v; want ValidationException", *in.Path, in.MaxResults, val(in.NextToken), err)
		}
	}
}

func TestPutParameter(t *testing.T) {
	s := newServer(t)
	c := s.SSM()
	long := "/" + strings.Repeat("n", 1011-len("arn:aws:ssm:us-east-1:123456789012:parameter/")+1)
	tests := []struct {
		desc string
		in   ssm.PutParameterInput
		ver  int64
		code string
	}{
		{"create", ssm.PutParameterInput{Name: aws.String("/p/a"), Value: aws.String("1"), Type: "String"}, 1, ""},
		{"exists", ssm.PutParameterInput{Name: aws.String("/p/a"), Value: aws.String("2"), Type: "String"}, 0, "ParameterAlreadyExists"},
		{"overwrite", ssm.PutParameterInput{Name: aws.String("/p/a"), Value: aws.String("2"), Overwrite: aws.Bool(true)}, 2, ""},
		{"overwrite again", ssm.PutParameterInput{Name: aws.String("/p/a"), Value: aws.String("3"), Type: "SecureString", Overwrite: aws.Bool(true)}, 3, ""},
		{"no type", ssm.PutParameterInput{Name: aws.String("/p/b"), Value: aws.String("1")}, 0, "ValidationException"},
		{"bad type", ssm.PutParameterInput{Name: aws.String("/p/b"), Value: aws.String("1"), Type: "Number"}, 0, "ValidationException"},
		{"bad data type", ssm.PutParameterInput{Name: aws.String("/p/b"), Value: aws.String("1"), Type: "String", DataType: aws.String("TEXT")}, 0, "ValidationException"},
		{"empty value", ssm.PutParameterInput{Name: aws.String("/p/b"), Value: aws.String(""), Type: "String"}, 0, "ValidationException"},
		{"space", ssm.PutParameterInput{Name: aws.String("/p/a b"), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"colon", ssm.PutParameterInput{Name: aws.String("/p/a:b"), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"not qualified", ssm.PutParameterInput{Name: aws.String("p/a"), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"trailing slash", ssm.PutParameterInput{Name: aws.String("/p/"), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"prefix aws", ssm.PutParameterInput{Name: aws.String("awsthing"), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"prefix ssm", ssm.PutParameterInput{Name: aws.String("/SSM/x"), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"reserved /aws/", ssm.PutParameterInput{Name: aws.String("/aws/x"), Value: aws.String("1"), Type: "String"}, 0, "AccessDeniedException"},
		{"15 levels", ssm.PutParameterInput{Name: aws.String(strings.Repeat("/l", 15)), Value: aws.String("1"), Type: "String"}, 1, ""},
		{"16 levels", ssm.PutParameterInput{Name: aws.String(strings.Repeat("/l", 16)), Value: aws.String("1"), Type: "String"}, 0, "HierarchyLevelLimitExceededException"},
		{"1011 with ARN", ssm.PutParameterInput{Name: aws.String(long[:len(long)-1]), Value: aws.String("1"), Type: "String"}, 1, ""},
		{"1012 with ARN", ssm.PutParameterInput{Name: aws.String(long), Value: aws.String("1"), Type: "String"}, 0, "ValidationException"},
		{"4 KB", ssm.PutParameterInput{Name: aws.String("/p/big"), Value: aws.String(strings.Repeat("x", 4096)), Type: "String"}, 1, ""},
		{"4 KB + 1", ssm.PutParameterInput{Name: aws.String("/p/big2"), Value: aws.String(strings.Repeat("x", 4097)), Type: "String"}, 0, "ValidationException"},
		{"advanced 8 KB", ssm.PutParameterInput{Name: aws.String("/p/big3"), Value: aws.String(strings.Repeat("x", 8192)), Type: "String", Tier: "Advanced"}, 1, ""},
		{"advanced 8 KB + 1", ssm.PutParameterInput{Name: aws.String("/p/big4"), Value: aws.String(strings.Repeat("x", 8193)), Type: "String", Tier: "Advanced"}, 0, "ValidationException"},
		{"allowed pattern", ssm.PutParameterInput{Name: aws.String("/p/pat"), Value: aws.String("abc"), Type: "String", AllowedPattern: aws.String(`^\d+$`)}, 0, "ValidationException"},
		{"tags and overwrite", ssm.PutParameterInput{Name: aws.String("/p/t"), Value: aws.String("1"), Type: "String", Overwrite: aws.Bool(true), Tags: []ssmtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, 0, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			out, err := c.PutParameter(t.Context(), &tt.in)
			if code(err) != tt.code {
				t.Fatalf("PutParameter(%.40q) = %v; want code %q", *tt.in.Name, err, tt.code)
			}
			if err == nil && out.Version != tt.ver {
				t.Errorf("Version = %d; want %d", out.Version, tt.ver)
			}
		})
	}
	out, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/p/a")})
	if err != nil || *out.Parameter.Value == "3" || out.Parameter.Type != "SecureString" {
		t.Errorf("GetParameter(/p/a) = %v, %v; want a SecureString version 3 read without decryption", out, err)
	}
	// Seeding may use reserved prefixes (public parameters).
	if _, err := s.PutParameter(sourcetest.Parameter{Name: "/aws/service/x", Value: "1"}); err != nil {
		t.Errorf("seed /aws/service/x: %v", err)
	}
	if _, err := s.PutParameter(sourcetest.Parameter{Name: "bad name", Value: "1"}); err == nil {
		t.Errorf("seed %q: no error", "bad name")
	}
}

func TestParameterVersionLimit(t *testing.T) {
	s := newServer(t)
	c := s.SSM()
	for i := 1; i <= 100; i++ {
		if _, err := s.PutParameter(sourcetest.Parameter{Name: "/v", Value: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LabelParameterVersion("/v", 1, "Old"); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String("/v"), Value: aws.String("101"), Overwrite: aws.Bool(true)})
	if code(err) != "ParameterMaxVersionLimitExceeded" {
		t.Fatalf("101st version with labelled oldest = %v; want ParameterMaxVersionLimitExceeded", err)
	}
	if err := s.LabelParameterVersion("/v", 2, "Old"); err != nil {
		t.Fatal(err)
	}
	out, err := c.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String("/v"), Value: aws.String("101"), Overwrite: aws.Bool(true)})
	if err != nil || out.Version != 101 {
		t.Fatalf("101st version = %v, %v", out, err)
	}
	if _, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/v:1")}); code(err) != "ParameterVersionNotFound" {
		t.Errorf("GetParameter(/v:1) after 101 versions = %v; want ParameterVersionNotFound", err)
	}
}

func TestLabelParameterVersion(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	out, err := c.LabelParameterVersion(t.Context(), &ssm.LabelParameterVersionInput{
		Name: aws.String("/app/str"), ParameterVersion: aws.Int64(2), Labels: []string{"Dev", "Prod", "1bad", "awsx", "ok.label_-"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.InvalidLabels, []string{"1bad", "awsx"}) || out.ParameterVersion != 2 {
		t.Errorf("LabelParameterVersion = %q, %d; want [1bad awsx], 2", out.InvalidLabels, out.ParameterVersion)
	}
	got, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/app/str:Dev")})
	if err != nil || got.Parameter.Version != 2 {
		t.Errorf("label Dev after move: %v, %v; want version 2", got, err)
	}
	// Without ParameterVersion the latest version is labelled.
	if _, err := c.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String("/app/str"), Value: aws.String("three"), Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if out, err = c.LabelParameterVersion(t.Context(), &ssm.LabelParameterVersionInput{Name: aws.String("/app/str"), Labels: []string{"Latest"}}); err != nil || out.ParameterVersion != 3 {
		t.Errorf("LabelParameterVersion(latest) = %v, %v; want version 3", out, err)
	}
	for _, tt := range []struct {
		in   ssm.LabelParameterVersionInput
		code string
	}{
		{ssm.LabelParameterVersionInput{Name: aws.String("/nope"), Labels: []string{"A"}}, "ParameterNotFound"},
		{ssm.LabelParameterVersionInput{Name: aws.String("/app/str"), ParameterVersion: aws.Int64(9), Labels: []string{"A"}}, "ParameterVersionNotFound"},
		{ssm.LabelParameterVersionInput{Name: aws.String("/app/str"), Labels: []string{strings.Repeat("a", 101)}}, "ValidationException"},
		{ssm.LabelParameterVersionInput{Name: aws.String("/app/str"), Labels: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}, "ValidationException"},
		{ssm.LabelParameterVersionInput{Name: aws.String("/app/str"), Labels: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}}, "ParameterVersionLabelLimitExceeded"},
	} {
		if _, err := c.LabelParameterVersion(t.Context(), &tt.in); code(err) != tt.code {
			t.Errorf("LabelParameterVersion(%s, %v, %d labels) = %v; want %s", *tt.in.Name, tt.in.ParameterVersion, len(tt.in.Labels), err, tt.code)
		}
	}
}

func TestDeleteParameter(t *testing.T) {
	s := newServer(t)
	seedParams(t, s)
	c := s.SSM()
	if _, err := c.DeleteParameter(t.Context(), &ssm.DeleteParameterInput{Name: aws.String("/app/str")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/app/str")}); code(err) != "ParameterNotFound" {
		t.Errorf("GetParameter after delete = %v; want ParameterNotFound", err)
	}
	if _, err := c.DeleteParameter(t.Context(), &ssm.DeleteParameterInput{Name: aws.String("/app/str")}); code(err) != "ParameterNotFound" {
		t.Errorf("second DeleteParameter = %v; want ParameterNotFound", err)
	}
	if err := s.DeleteParameter("/app/list"); err != nil {
		t.Errorf("seed DeleteParameter: %v", err)
	}
	if err := s.DeleteParameter("/app/list"); err == nil {
		t.Errorf("seed DeleteParameter of a missing parameter: no error")
	}
}
