package cache

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const redacted = "[REDACTED]"

// Parameter is one parameter as SSM returned it. Values are shared between
// callers and must be treated as read-only; [Parameter.Output] returns a
// fresh copy in the SDK's shape. The value and the source result are read
// through methods and redacted when a Parameter is printed, logged or
// encoded; they sit behind a pointer, so that fmt's reflection (which prints
// a Parameter held in an unexported field without calling its methods)
// shows an address, never the value. The zero Parameter has no value.
type Parameter struct {
	Name         string                 // the name SSM returned (a full path, or the /aws/reference/... name)
	Type         ssmtypes.ParameterType // String, StringList or SecureString
	Version      int64                  // the version; 0 for a Secrets Manager reference
	ARN          string                 // the parameter's (or referenced secret's) ARN
	DataType     string                 // "text", "aws:ec2:image", …; empty when SSM returned none
	LastModified time.Time              // when this version was written
	Selector     string                 // ":3" or ":label" when the read named one

	raw *sealed[ssmtypes.Parameter] // as SSM returned it; shared, never changed, never handed out
}

// sealed holds a value two pointers away from the struct that holds it:
// fmt's reflection prints a pointer's target once (for a verb that does not
// fit a pointer, such as %s or %x) but prints the pointers inside it as
// addresses, so what v holds, even a []byte, is never printed.
type sealed[T any] struct{ v *T }

func seal[T any](v *T) *sealed[T] { return &sealed[T]{v: v} }

func newParameter(p *ssmtypes.Parameter) Parameter {
	if p == nil {
		return Parameter{}
	}
	raw := *p
	out := Parameter{
		Name:     deref(raw.Name),
		Type:     raw.Type,
		Version:  raw.Version,
		ARN:      deref(raw.ARN),
		DataType: deref(raw.DataType),
		Selector: deref(raw.Selector),
		raw:      seal(&raw),
	}
	if raw.LastModifiedDate != nil {
		out.LastModified = *raw.LastModifiedDate
	}
	return out
}

// Value returns the value; ciphertext for a SecureString read without
// decryption.
func (p Parameter) Value() string {
	if p.raw == nil {
		return ""
	}
	return deref(p.raw.v.Value)
}

// SourceResult returns, for a Secrets Manager reference
// (/aws/reference/secretsmanager/...), the secret's JSON, which holds the
// value; "" otherwise.
func (p Parameter) SourceResult() string {
	if p.raw == nil {
		return ""
	}
	return deref(p.raw.v.SourceResult)
}

// List returns a StringList's items (the value split at commas). It
// allocates a new slice on each call.
func (p Parameter) List() []string {
	if p.Value() == "" {
		return nil
	}
	return strings.Split(p.Value(), ",")
}

// Output returns the parameter in the shape of ssm.GetParameterOutput, with
// absent fields nil exactly as SSM sent them. Each call returns a new value
// the caller may change.
func (p Parameter) Output() *ssm.GetParameterOutput {
	var raw ssmtypes.Parameter
	if p.raw != nil {
		raw = *p.raw.v
	} else if p.Name != "" { // built by hand, without a value
		raw = ssmtypes.Parameter{Name: &p.Name, Type: p.Type, Version: p.Version}
	}
	cp := raw
	cp.ARN = clonePtr(raw.ARN)
	cp.DataType = clonePtr(raw.DataType)
	cp.Name = clonePtr(raw.Name)
	cp.Selector = clonePtr(raw.Selector)
	cp.SourceResult = clonePtr(raw.SourceResult)
	cp.Value = clonePtr(raw.Value)
	cp.LastModifiedDate = clonePtr(raw.LastModifiedDate)
	return &ssm.GetParameterOutput{Parameter: &cp}
}

// String returns a description of p with the value redacted.
func (p Parameter) String() string {
	return "Parameter{Name:" + p.Name + " Type:" + string(p.Type) + " Version:" + itoa(p.Version) + " Value:" + redacted + "}"
}

// GoString is String: %#v never shows the value either.
func (p Parameter) GoString() string { return p.String() }

// Format prints [Parameter.String] for every verb, so %v, %+v, %#v and %s
// all redact the value.
func (p Parameter) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(p.String())) }

// LogValue makes slog log the name, type and version, never the value.
func (p Parameter) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", p.Name), slog.String("type", string(p.Type)),
		slog.Int64("version", p.Version), slog.String("value", redacted))
}

// MarshalJSON encodes the name, type and version with the value redacted,
// so a Parameter inside a logged or encoded struct does not leak. Use
// [Parameter.Output] for the SDK's JSON shape with the value.
func (p Parameter) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name, Type, Value string
		Version           int64
	}{p.Name, string(p.Type), redacted, p.Version})
}

// Secret is one version of a secret as Secrets Manager returned it. Its value
// is read through methods and redacted when a Secret is printed, logged or
// encoded; it sits behind a pointer, out of reach of fmt's reflection.
// Binary and Stages return copies, so no caller can change what another one
// reads. The zero Secret has no value.
type Secret struct {
	ARN       string
	Name      string
	VersionID string
	Created   time.Time // when this version was created

	raw      *sealed[secretsmanager.GetSecretValueOutput] // as returned, slices private; shared, never changed or handed out
	rotation *secretRotation                              // WithRotationAware: what DescribeSecret said (rotation.go); nil otherwise
}

func newSecret(o *secretsmanager.GetSecretValueOutput) Secret {
	if o == nil {
		return Secret{}
	}
	raw := &secretsmanager.GetSecretValueOutput{
		ARN:           o.ARN,
		CreatedDate:   o.CreatedDate,
		Name:          o.Name,
		SecretBinary:  cloneSlice(o.SecretBinary),
		SecretString:  o.SecretString,
		VersionId:     o.VersionId,
		VersionStages: cloneSlice(o.VersionStages),
	}
	return Secret{
		ARN:       deref(o.ARN),
		Name:      deref(o.Name),
		VersionID: deref(o.VersionId),
		Created:   deref(o.CreatedDate),
		raw:       seal(raw),
	}
}

// Value returns the SecretString; "" for a binary secret (see HasString).
func (s Secret) Value() string {
	if s.raw == nil {
		return ""
	}
	return deref(s.raw.v.SecretString)
}

// HasString reports whether the secret has a SecretString (as opposed to a
// SecretBinary).
func (s Secret) HasString() bool { return s.raw != nil && s.raw.v.SecretString != nil }

// Binary returns a copy of the SecretBinary, or nil for a string secret.
func (s Secret) Binary() []byte {
	if s.raw == nil {
		return nil
	}
	return cloneSlice(s.raw.v.SecretBinary)
}

// Stages returns a copy of the version's staging labels.
func (s Secret) Stages() []string {
	if s.raw == nil {
		return nil
	}
	return cloneSlice(s.raw.v.VersionStages)
}

// Output returns the secret in the shape of
// secretsmanager.GetSecretValueOutput, with absent fields nil exactly as
// Secrets Manager sent them. Each call returns a new value the caller may
// change.
func (s Secret) Output() *secretsmanager.GetSecretValueOutput {
	var r secretsmanager.GetSecretValueOutput
	if s.raw != nil {
		r = *s.raw.v
	}
	return &secretsmanager.GetSecretValueOutput{
		ARN:           clonePtr(r.ARN),
		CreatedDate:   clonePtr(r.CreatedDate),
		Name:          clonePtr(r.Name),
		SecretBinary:  cloneSlice(r.SecretBinary),
		SecretString:  clonePtr(r.SecretString),
		VersionId:     clonePtr(r.VersionId),
		VersionStages: cloneSlice(r.VersionStages),
	}
}

// String returns a description of s with the value redacted.
func (s Secret) String() string {
	return "Secret{Name:" + s.Name + " VersionID:" + s.VersionID + " Value:" + redacted + "}"
}

// GoString is String: %#v never shows the value either.
func (s Secret) GoString() string { return s.String() }

// Format prints [Secret.String] for every verb.
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue makes slog log the name and version, never the value.
func (s Secret) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", s.Name), slog.String("versionId", s.VersionID),
		slog.String("value", redacted))
}

// MarshalJSON encodes the name and version id with the value redacted. Use
// [Secret.Output] for the SDK's JSON shape with the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Name, VersionID, Value string }{s.Name, s.VersionID, redacted})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
