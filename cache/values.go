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
// fresh copy in the SDK's shape. Value and SourceResult are redacted when a
// Parameter is printed or logged.
type Parameter struct {
	Name         string                 // the name SSM returned (a full path, or the /aws/reference/... name)
	Type         ssmtypes.ParameterType // String, StringList or SecureString
	Value        string                 // the value; ciphertext for a SecureString read without decryption
	Version      int64                  // the version; 0 for a Secrets Manager reference
	ARN          string                 // the parameter's (or referenced secret's) ARN
	DataType     string                 // "text", "aws:ec2:image", …; empty when SSM returned none
	LastModified time.Time              // when this version was written
	Selector     string                 // ":3" or ":label" when the read named one
	SourceResult string                 // for a Secrets Manager reference: the secret's JSON, which holds the value

	raw ssmtypes.Parameter // as SSM returned it, for Output; never handed out
}

func newParameter(p *ssmtypes.Parameter) Parameter {
	if p == nil {
		return Parameter{}
	}
	raw := *p
	out := Parameter{
		Name:         deref(raw.Name),
		Type:         raw.Type,
		Value:        deref(raw.Value),
		Version:      raw.Version,
		ARN:          deref(raw.ARN),
		DataType:     deref(raw.DataType),
		Selector:     deref(raw.Selector),
		SourceResult: deref(raw.SourceResult),
		raw:          raw,
	}
	if raw.LastModifiedDate != nil {
		out.LastModified = *raw.LastModifiedDate
	}
	return out
}

// List returns a StringList's items (the value split at commas). It
// allocates a new slice on each call.
func (p Parameter) List() []string {
	if p.Value == "" {
		return nil
	}
	return strings.Split(p.Value, ",")
}

// Output returns the parameter in the shape of ssm.GetParameterOutput, with
// absent fields nil exactly as SSM sent them. Each call returns a new value
// the caller may change.
func (p Parameter) Output() *ssm.GetParameterOutput {
	raw := p.raw
	if raw.Name == nil && p.Name != "" { // built by hand, not from SSM
		raw = ssmtypes.Parameter{Name: &p.Name, Type: p.Type, Value: &p.Value, Version: p.Version}
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
// is redacted when a Secret is printed or logged. Binary and Stages return
// copies, so no caller can change what another one reads.
type Secret struct {
	ARN       string
	Name      string
	VersionID string
	Created   time.Time // when this version was created
	Value     string    // the SecretString; empty for a binary secret (see HasString)

	raw secretsmanager.GetSecretValueOutput // as returned, slices private; never handed out
}

func newSecret(o *secretsmanager.GetSecretValueOutput) Secret {
	if o == nil {
		return Secret{}
	}
	raw := secretsmanager.GetSecretValueOutput{
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
		Value:     deref(o.SecretString),
		raw:       raw,
	}
}

// HasString reports whether the secret has a SecretString (as opposed to a
// SecretBinary).
func (s Secret) HasString() bool { return s.raw.SecretString != nil }

// Binary returns a copy of the SecretBinary, or nil for a string secret.
func (s Secret) Binary() []byte { return cloneSlice(s.raw.SecretBinary) }

// Stages returns a copy of the version's staging labels.
func (s Secret) Stages() []string { return cloneSlice(s.raw.VersionStages) }

// Output returns the secret in the shape of
// secretsmanager.GetSecretValueOutput, with absent fields nil exactly as
// Secrets Manager sent them. Each call returns a new value the caller may
// change.
func (s Secret) Output() *secretsmanager.GetSecretValueOutput {
	r := s.raw
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
