package resolve

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ErrConvert is matched by every [*ConvertError].
var ErrConvert = errors.New("cannot convert value")

// ConvertError reports a resolved value (or a default) that does not
// convert to the type of its field. It names the type and the rule, never
// the value.
type ConvertError struct {
	Type   string // the Go type, for example "time.Duration"
	Reason string // what is wrong, without the value
}

func (e *ConvertError) Error() string { return "convert to " + e.Type + ": " + e.Reason }

// Is reports whether target is [ErrConvert].
func (e *ConvertError) Is(target error) bool { return target == ErrConvert }

var (
	secretType   = reflect.TypeFor[Secret]()
	durationType = reflect.TypeFor[time.Duration]()
	textType     = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// convertible reports whether a value can be converted to t, so that Load
// and Watch refuse a field of another type before any read.
func convertible(t reflect.Type) bool {
	if t == secretType || t == durationType || reflect.PointerTo(t).Implements(textType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64,
		reflect.Struct, reflect.Map, reflect.Slice, reflect.Array, reflect.Pointer, reflect.Interface:
		return true
	}
	return false
}

// convert sets dst, addressable, from s:
//
//   - Secret: the value, redacted when printed;
//   - time.Duration: time.ParseDuration ("5s", "1m30s");
//   - a type whose pointer implements encoding.TextUnmarshaler: UnmarshalText;
//   - string; bool (strconv.ParseBool); integers and floats (strconv);
//   - []string: the items of a StringList (split at commas; "" is empty);
//   - any other struct, map, slice, array, pointer or interface: JSON.
func convert(s string, dst reflect.Value) error {
	t := dst.Type()
	fail := func(reason string) error { return &ConvertError{Type: t.String(), Reason: reason} }
	switch {
	case t == secretType:
		dst.Set(reflect.ValueOf(NewSecret(s)))
		return nil
	case t == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fail("not a duration (like 300ms, 5s or 1h30m)")
		}
		dst.SetInt(int64(d))
		return nil
	case reflect.PointerTo(t).Implements(textType):
		if err := dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fail("UnmarshalText failed") // its error may quote the value
		}
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		dst.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fail("not a bool (true, false, 1, 0, t, f)")
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return fail(numReason(err, "an integer"))
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return fail(numReason(err, "a non-negative integer"))
		}
		dst.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil {
			return fail(numReason(err, "a number"))
		}
		dst.SetFloat(f)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String && !reflect.PointerTo(t.Elem()).Implements(textType) {
			var items []string
			if s != "" {
				items = strings.Split(s, ",")
			}
			v := reflect.MakeSlice(t, len(items), len(items))
			for i, it := range items {
				v.Index(i).SetString(it)
			}
			dst.Set(v)
			return nil
		}
		return convertJSON(s, dst)
	case reflect.Struct, reflect.Map, reflect.Array, reflect.Pointer, reflect.Interface:
		return convertJSON(s, dst)
	default:
		return fail("the type is not supported")
	}
	return nil
}

func numReason(err error, what string) string {
	if errors.Is(err, strconv.ErrRange) {
		return "out of range"
	}
	return "not " + what
}

// convertJSON decodes s into dst. The error says where and what, never
// the text (encoding/json's syntax errors quote a character of it).
func convertJSON(s string, dst reflect.Value) error {
	v := reflect.New(dst.Type())
	if err := json.Unmarshal([]byte(s), v.Interface()); err != nil {
		reason := "not JSON"
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			reason = "not JSON (syntax error at offset " + strconv.FormatInt(se.Offset, 10) + ")"
		case errors.As(err, &te):
			reason = "JSON " + te.Value + " where " + te.Type.String() + " is wanted"
			if te.Field != "" {
				reason += " (field " + te.Field + ")"
			}
		}
		return &ConvertError{Type: dst.Type().String(), Reason: reason}
	}
	dst.Set(v.Elem())
	return nil
}
