package cache

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const redacted = "[REDACTED]"

// Parameter is one parameter as SSM returned it. Values are shared between
// callers and must be treated as read-only; [Parameter.Output] returns a
// fresh copy in the SDK's shape. The value and the source result are read
// through methods and redacted when a Parameter is printed, logged or
// encoded; they sit behind an unsafe.Pointer, so that printers that walk
// a value by reflection without calling its methods (fmt for a Parameter in
// an unexported field, spew, testify's diffs, go-cmp) show an address,
// never the value. The zero Parameter has no value.
type Parameter struct {
	Name         string                 // the name SSM returned (a full path, or the /aws/reference/... name)
	Type         ssmtypes.ParameterType // String, StringList or SecureString
	Version      int64                  // the version; 0 for a Secrets Manager reference
	ARN          string                 // the parameter's (or referenced secret's) ARN
	DataType     string                 // "text", "aws:ec2:image", …; empty when SSM returned none
	LastModified time.Time              // when this version was written
	Selector     string                 // ":3" or ":label" when the read named one

	raw hidden[ssmtypes.Parameter] // as SSM returned it; shared, never changed, never handed out
}

// hidden holds a *T as an unsafe.Pointer. Printers that walk a value by
// reflection without calling its methods (fmt for a Parameter in an
// unexported field, spew with DisableMethods, testify's assert.Equal diff,
// go-cmp with AllowUnexported) show an unsafe.Pointer as an address and
// never follow it, so what it points to (the value, a []byte of a binary
// secret) is never printed. It costs nothing: no allocation, and get is a
// conversion. The pointer keeps its target alive as any pointer does.
type hidden[T any] struct{ p unsafe.Pointer }

func hide[T any](v *T) hidden[T] { return hidden[T]{p: unsafe.Pointer(v)} }

// get returns the pointer; nil for the zero hidden.
func (h hidden[T]) get() *T { return (*T)(h.p) }

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
		raw:      hide(&raw),
	}
	if raw.LastModifiedDate != nil {
		out.LastModified = *raw.LastModifiedDate
	}
	return out
}

// Value returns the value; ciphertext for a SecureString read without
// decryption.
func (p Parameter) Value() string {
	if r := p.raw.get(); r != nil {
		return deref(r.Value)
	}
	return ""
}

// SourceResult returns, for a Secrets Manager reference
// (/aws/reference/secretsmanager/...), the secret's JSON, which holds the
// value; "" otherwise.
func (p Parameter) SourceResult() string {
	if r := p.raw.get(); r != nil {
		return deref(r.SourceResult)
	}
	return ""
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
	if r := p.raw.get(); r != nil {
		raw = *r
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
// encoded; it sits behind an unsafe.Pointer, out of reach of reflection-based
// printers (fmt, spew, testify's diffs, go-cmp), which show an address.
// Binary and Stages return copies, so no caller can change what another one
// reads. The zero Secret has no value.
type Secret struct {
	ARN       string
	Name      string
	VersionID string
	Created   time.Time // when this version was created

	raw      hidden[secretsmanager.GetSecretValueOutput] // as returned, slices private; shared, never changed or handed out
	rotation *secretRotation                             // WithRotationAware: what DescribeSecret said (rotation.go); nil otherwise
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
		raw:       hide(raw),
	}
}

// Value returns the SecretString; "" for a binary secret (see HasString).
func (s Secret) Value() string {
	if r := s.raw.get(); r != nil {
		return deref(r.SecretString)
	}
	return ""
}

// HasString reports whether the secret has a SecretString (as opposed to a
// SecretBinary).
func (s Secret) HasString() bool { r := s.raw.get(); return r != nil && r.SecretString != nil }

// Binary returns a copy of the SecretBinary, or nil for a string secret.
func (s Secret) Binary() []byte {
	if r := s.raw.get(); r != nil {
		return cloneSlice(r.SecretBinary)
	}
	return nil
}

// Stages returns a copy of the version's staging labels.
func (s Secret) Stages() []string {
	if r := s.raw.get(); r != nil {
		return cloneSlice(r.VersionStages)
	}
	return nil
}

// Output returns the secret in the shape of
// secretsmanager.GetSecretValueOutput, with absent fields nil exactly as
// Secrets Manager sent them. Each call returns a new value the caller may
// change.
func (s Secret) Output() *secretsmanager.GetSecretValueOutput {
	var r secretsmanager.GetSecretValueOutput
	if raw := s.raw.get(); raw != nil {
		r = *raw
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
