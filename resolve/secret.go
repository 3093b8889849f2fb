package resolve

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// Secret is a resolved value that must not be printed: give a field of a
// configuration struct this type and the struct can be printed with %v,
// %+v or %#v, logged with slog or encoded as JSON without showing it. The
// value sits behind a pointer, so that fmt's reflection, which prints a
// Secret held in an unexported field without calling its methods, shows an
// address, never the value. The zero Secret is empty. Read the value with
// [Secret.Value].
type Secret struct{ v *string }

// NewSecret returns a Secret holding v.
func NewSecret(v string) Secret { return Secret{v: &v} }

// Value returns the value.
func (s Secret) Value() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether s holds nothing.
func (s Secret) IsZero() bool { return s.v == nil }

// String returns "[REDACTED]".
func (s Secret) String() string { return redacted }

// GoString returns "[REDACTED]".
func (s Secret) GoString() string { return redacted }

// Format prints "[REDACTED]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue makes slog log "[REDACTED]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes "[REDACTED]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes "[REDACTED]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalText sets the value to text, so that a Secret can be a field of
// a struct decoded from JSON, or an item of a map or slice.
func (s *Secret) UnmarshalText(text []byte) error {
	*s = NewSecret(string(text))
	return nil
}

// UnmarshalJSON sets the value from a JSON string, or from any other JSON
// value as written.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		*s = NewSecret(str)
		return nil
	}
	*s = NewSecret(string(b))
	return nil
}
