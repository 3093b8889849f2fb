package resolve

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/parsec-go/parsec/cache"
)

// tagKey is the struct tag Load reads.
const tagKey = "parsec"

// maxDepth bounds how deep Load walks nested structs.
const maxDepth = 16

// Load sets the fields of the struct dst points to from the references in
// their `parsec` tags, read through c in one batch as [Env] reads (one
// GetParameters per ten parameters and region, one BatchGetSecretValue per
// twenty secrets and region, all at once, within ctx):
//
//	type Config struct {
//		DBHost   string        `parsec:"ssm:/app/db-host,required"`
//		Password resolve.Secret `parsec:"secretsmanager:app/db#password,required"`
//		Timeout  time.Duration `parsec:"ssm:/app/timeout,default=5s"`
//		Hosts    []string      `parsec:"ssm:/app/hosts"` // a StringList
//		Limits   Limits        `parsec:"ssm:/app/limits"` // JSON
//		Cache    CacheConfig   // no tag: its own fields are loaded
//	}
//
// A tag holds a reference in any form of the grammar (bare ARNs
// included), then options after commas: "required" (a missing parameter,
// secret or JSON key is an error) or "default=VALUE" (used when it is
// missing; VALUE runs to the end of the tag, commas included). Without
// either, a missing value leaves the field as it was. Every other failure
// is an error, also for optional fields. Field types: see Types in the
// package documentation (string, numbers, bool, time.Duration, [Secret],
// []string from a StringList, encoding.TextUnmarshaler, and JSON for any
// other struct, map or slice). Struct fields without a tag are
// walked into, up to 16 levels; unexported fields are skipped, and a tag
// on one is an error.
//
// A malformed tag fails Load before any read. Otherwise Load sets every
// field it can and returns every failure, joined: *[Error] values naming
// the field (as Outer.Inner), the reference and the cause. No error holds
// a value; give a secret's field the type [Secret] so that printing the
// struct does not show it either.
func Load(ctx context.Context, c *cache.Cache, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return errors.New("resolve: Load needs a non-nil pointer to a struct, got " + reflect.TypeOf(dst).String())
	}
	var (
		fields []binding
		errs   []error
	)
	walk(v.Elem(), "", 0, &fields, &errs)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	var refs []Reference
	for _, f := range fields {
		refs = append(refs, f.t.refs...)
	}
	got := fetch(ctx, c, refs)
	n := 0
	for _, f := range fields {
		vals := make([]string, len(f.t.refs))
		var ferr error
		for i, r := range f.t.refs {
			res := got[n]
			n++
			if res.err != nil && ferr == nil {
				ferr = &Error{Var: f.path, Ref: r.Text, Err: res.err}
			}
			vals[i] = res.val
		}
		if ferr != nil {
			if !missing(ferr) || f.required {
				errs = append(errs, ferr)
				continue
			}
			if f.def == nil {
				continue
			}
			if err := convert(*f.def, f.v); err != nil {
				errs = append(errs, &Error{Var: f.path, Ref: "default", Err: err})
			}
			continue
		}
		if err := convert(f.t.expand(vals), f.v); err != nil {
			errs = append(errs, &Error{Var: f.path, Ref: f.tag, Err: err})
		}
	}
	return errors.Join(errs...)
}

// missing reports whether err says the value does not exist.
func missing(err error) bool { return errors.Is(err, cache.ErrNotFound) || errors.Is(err, ErrNoKey) }

// binding is one tagged field.
type binding struct {
	path     string
	tag      string // the reference as written
	v        reflect.Value
	t        *Template
	required bool
	def      *string
}

// walk collects the tagged fields of the struct v.
func walk(v reflect.Value, prefix string, depth int, fields *[]binding, errs *[]error) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		path := prefix + sf.Name
		tag, tagged := sf.Tag.Lookup(tagKey)
		if !sf.IsExported() {
			if tagged {
				*errs = append(*errs, &SyntaxError{Var: path, Ref: tag, Rule: "the field is unexported: Load cannot set it"})
			}
			continue
		}
		fv := v.Field(i)
		if !tagged || tag == "-" {
			if tag != "-" && sf.Type.Kind() == reflect.Struct && sf.Type != secretType {
				if depth >= maxDepth {
					*errs = append(*errs, &SyntaxError{Var: path, Ref: "", Rule: "nested more than 16 levels deep"})
					continue
				}
				walk(fv, path+".", depth+1, fields, errs)
			}
			continue
		}
		b, err := parseTag(path, tag, fv)
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		*fields = append(*fields, b)
	}
}

// parseTag parses REF[,required][,default=VALUE] and checks the default.
func parseTag(path, tag string, fv reflect.Value) (binding, error) {
	ref, opts, _ := strings.Cut(tag, ",")
	b := binding{path: path, tag: ref, v: fv}
	for opts != "" {
		var opt string
		if strings.HasPrefix(opts, "default=") {
			d := strings.TrimPrefix(opts, "default=")
			b.def, opts = &d, ""
			continue
		}
		opt, opts, _ = strings.Cut(opts, ",")
		switch opt {
		case "required":
			b.required = true
		default:
			return b, &SyntaxError{Var: path, Ref: tag, Rule: "unknown tag option " + quote(opt) + "; the options are required and default=VALUE"}
		}
	}
	if b.required && b.def != nil {
		return b, &SyntaxError{Var: path, Ref: tag, Rule: "required and default=… exclude each other"}
	}
	if !convertible(fv.Type()) {
		return b, &SyntaxError{Var: path, Ref: tag, Rule: "the field's type " + fv.Type().String() + " cannot hold a resolved value"}
	}
	tpl, err := Parse(path, ref)
	if err != nil {
		return b, err
	}
	if tpl == nil {
		return b, &SyntaxError{Var: path, Ref: ref, Rule: "the tag must start with a reference: ssm:…, secretsmanager:…, arn:… or {{resolve:…}}"}
	}
	b.t = tpl
	if b.def != nil {
		if err := convert(*b.def, reflect.New(fv.Type()).Elem()); err != nil {
			return b, &Error{Var: path, Ref: "default", Err: err}
		}
	}
	return b, nil
}

func quote(s string) string { return `"` + s + `"` }
