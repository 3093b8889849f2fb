package cache

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// ErrDecode is matched by every [*DecodeError].
var ErrDecode = errors.New("cannot decode value")

// DecodeError reports a value that does not decode into the requested type.
// It names the parameter or secret and the type, never the value.
type DecodeError struct {
	Name   string // the parameter name or secret id
	Type   string // the Go type, for example "main.Config"
	Offset int64  // the byte offset in the value where decoding failed, if known
	Reason string // what went wrong, without any of the value
}

func (e *DecodeError) Error() string {
	return "decode " + e.Name + " into " + e.Type + ": " + e.Reason
}

// Is reports whether target is [ErrDecode].
func (e *DecodeError) Is(target error) bool { return target == ErrDecode }

// ParameterJSON reads the parameter req names and decodes its value as JSON
// into a T. The decoded value is kept with the cached entry when T holds no
// pointers, slices, maps or interfaces, so every caller gets its own copy
// and repeated reads do not decode again; other types are decoded on each
// read, so no two callers ever share mutable data.
func ParameterJSON[T any](ctx context.Context, c *Cache, req ParameterRequest) (T, error) {
	var zero T
	p, err := c.Parameter(ctx, req)
	if err != nil {
		return zero, err
	}
	return decodeCached[T](c, req.key(), req.Name, p.Value())
}

// SecretJSON reads the secret req names and decodes its SecretString as
// JSON into a T, with the same caching rule as [ParameterJSON].
func SecretJSON[T any](ctx context.Context, c *Cache, req SecretRequest) (T, error) {
	var zero T
	s, err := c.Secret(ctx, req)
	if err != nil {
		return zero, err
	}
	if !s.HasString() {
		return zero, &DecodeError{Name: req.SecretID, Type: typeName[T](), Reason: "the secret is binary, not a SecretString"}
	}
	return decodeCached[T](c, req.key(), req.SecretID, s.Value())
}

// Bytes decodes the parameter's value as standard base64, the usual way to
// keep binary data in Parameter Store. For a binary secret read through
// /aws/reference/secretsmanager/, which SSM answers with no Value, it
// returns the secret's bytes from SourceResult (see referenceBytes). The
// error names the parameter, never the value.
func (p Parameter) Bytes() ([]byte, error) {
	if b, ok, err := referenceBytes(p.Name, p.SourceResult()); ok {
		return b, err
	}
	b, err := base64.StdEncoding.DecodeString(p.Value())
	if err != nil {
		var ce base64.CorruptInputError
		off := int64(-1)
		if errors.As(err, &ce) {
			off = int64(ce)
		}
		return nil, &DecodeError{Name: p.Name, Type: "[]byte", Offset: off, Reason: "not standard base64"}
	}
	return b, nil
}

func typeName[T any]() string { return reflect.TypeFor[T]().String() }

func decodeCached[T any](c *Cache, k key, name, value string) (T, error) {
	t := reflect.TypeFor[T]()
	shareable := !hasReferences(t, 0)
	var e *entry
	if shareable {
		if e = c.store.value(&k); e != nil {
			if v, ok := e.decoded.Load(t); ok {
				return v.(T), nil
			}
		}
	}
	var v T
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		var zero T
		return zero, decodeErr(name, t, err)
	}
	// Keep it only if the entry still holds the value just decoded.
	if e != nil && stringOf(e) == value {
		e.decoded.Store(t, v)
	}
	return v, nil
}

// decodeErr turns a json error into one that carries no part of the value
// (json.SyntaxError's message quotes a character of it).
func decodeErr(name string, t reflect.Type, err error) error {
	de := &DecodeError{Name: name, Type: t.String(), Offset: -1}
	var se *json.SyntaxError
	var ue *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		de.Offset, de.Reason = se.Offset, "invalid JSON"
	case errors.As(err, &ue):
		// ue.Value is the JSON kind, followed for a number by its digits:
		// keep the kind only.
		kind, _, _ := strings.Cut(ue.Value, " ")
		de.Offset, de.Reason = ue.Offset, "JSON "+kind+" does not fit "+fieldText(t, ue.Field)+"type "+ue.Type.String()
	default:
		de.Reason = "invalid JSON"
	}
	return de
}

// fieldText returns "field F of " for the path F an UnmarshalTypeError
// names, when every step of it is the name of a field of t (a struct
// field's Go or JSON name, found by walking t): the path comes from the
// type, but a decoder that named map keys in it would quote the value's
// own keys. Otherwise it returns "".
func fieldText(t reflect.Type, path string) string {
	if path == "" {
		return ""
	}
	names := map[string]bool{}
	fieldNames(t, names, map[reflect.Type]bool{})
	for seg := range strings.SplitSeq(path, ".") {
		if !names[seg] {
			return ""
		}
	}
	return "field " + path + " of "
}

// fieldNames adds the Go and JSON names of the struct fields reachable
// from t to names, visiting each type once.
func fieldNames(t reflect.Type, names map[string]bool, seen map[reflect.Type]bool) {
	if seen[t] {
		return
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		fieldNames(t.Elem(), names, seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			names[f.Name] = true
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				names[tag] = true
			}
			fieldNames(f.Type, names, seen)
		}
	}
}

// hasReferences reports whether values of t can share mutable memory when
// copied: pointers, slices, maps, interfaces, channels, functions.
func hasReferences(t reflect.Type, depth int) bool {
	if depth > 32 {
		return true
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return hasReferences(t.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			if hasReferences(t.Field(i).Type, depth+1) {
				return true
			}
		}
	}
	return false
}

// stringOf is the string value an entry holds, for a parameter or a secret.
func stringOf(e *entry) string {
	switch v := e.val.(type) {
	case Parameter:
		return v.Value()
	case Secret:
		return v.Value()
	}
	return ""
}
