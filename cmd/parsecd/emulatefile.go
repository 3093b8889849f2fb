package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// The emulator file: a JSON document describing the parameters and secrets
// the emulator serves. See the package documentation and
// testdata/emulate.json for the format.

// seedStep is one write into the emulator, with the place in the file it
// came from so that a rejected write can name it.
type seedStep struct {
	at     *jsonNode
	field  string
	param  *sourcetest.Parameter
	secret *sourcetest.Secret // CreateSecret(secret, version) when set, else PutSecretValue(name, version)
	name   string
	ver    *sourcetest.SecretVersion
}

// emulation is a parsed emulator file.
type emulation struct {
	file   string
	data   []byte
	region string
	steps  []seedStep
}

// errAt returns an error at n naming field.
func (e *emulation) errAt(n *jsonNode, field, format string, args ...any) error {
	line, col := lineCol(e.data, n.start)
	return &posError{file: e.file, line: line, col: col, field: field, msg: fmt.Sprintf(format, args...)}
}

// loadEmulation reads and checks the emulator file at path.
func loadEmulation(path string) (*emulation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emulator file: %w", err)
	}
	return parseEmulation(path, data)
}

// parseEmulation parses an emulator file; file names it in errors.
func parseEmulation(file string, data []byte) (*emulation, error) {
	root, err := parseJSONTree(file, data)
	if err != nil {
		return nil, err
	}
	e := &emulation{file: file, data: data}
	fields, err := e.object(root, "", "region", "parameters", "secrets")
	if err != nil {
		return nil, err
	}
	if n := fields["region"]; n != nil {
		if e.region, err = e.str(n, "region"); err != nil {
			return nil, err
		}
	}
	if n := fields["parameters"]; n != nil {
		if err := e.array(n, "parameters", e.parameter); err != nil {
			return nil, err
		}
	}
	if n := fields["secrets"]; n != nil {
		if err := e.array(n, "secrets", e.secret); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// object checks that n is an object holding only the allowed keys, each at
// most once, and returns its fields by key.
func (e *emulation) object(n *jsonNode, field string, allowed ...string) (map[string]*jsonNode, error) {
	if n.kind != '{' {
		return nil, e.errAt(n, orTop(field), "must be an object, not %s", n.kindName())
	}
	m := make(map[string]*jsonNode, len(n.keys))
	for i, k := range n.keys {
		sub := join(field, k)
		if !contains(allowed, k) {
			line, col := lineCol(e.data, n.keyOffs[i])
			return nil, &posError{file: e.file, line: line, col: col, field: sub, msg: "unknown field; allowed here: " + strings.Join(allowed, ", ")}
		}
		if m[k] != nil {
			return nil, e.errAt(n.vals[i], sub, "given twice")
		}
		m[k] = n.vals[i]
	}
	return m, nil
}

func (e *emulation) array(n *jsonNode, field string, each func(*jsonNode, string) error) error {
	if n.kind != '[' {
		return e.errAt(n, field, "must be an array, not %s", n.kindName())
	}
	for i, el := range n.elems {
		if err := each(el, fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return err
		}
	}
	return nil
}

func (e *emulation) str(n *jsonNode, field string) (string, error) {
	if n.kind != '"' {
		return "", e.errAt(n, field, "must be a string, not %s", n.kindName())
	}
	return n.str, nil
}

func (e *emulation) strs(n *jsonNode, field string) ([]string, error) {
	var out []string
	err := e.array(n, field, func(el *jsonNode, f string) error {
		s, err := e.str(el, f)
		out = append(out, s)
		return err
	})
	return out, err
}

func (e *emulation) time(n *jsonNode, field string) (time.Time, error) {
	s, err := e.str(n, field)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, e.errAt(n, field, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", s)
	}
	return t, nil
}

var paramFields = []string{"name", "type", "dataType", "keyId", "value", "labels", "lastModified", "versions"}
var paramVersionFields = []string{"value", "labels", "lastModified"}

// parameter reads {"name", "type", "dataType", "keyId"} and either one
// version ("value", "labels", "lastModified") or "versions", oldest first.
func (e *emulation) parameter(n *jsonNode, field string) error {
	f, err := e.object(n, field, paramFields...)
	if err != nil {
		return err
	}
	var base sourcetest.Parameter
	if base.Name, err = e.name(f, n, field); err != nil {
		return err
	}
	if err := e.optStrings(f, field, map[string]*string{"type": &base.Type, "dataType": &base.DataType, "keyId": &base.KeyID}); err != nil {
		return err
	}
	if t := f["type"]; t != nil && !contains([]string{"String", "StringList", "SecureString"}, base.Type) {
		return e.errAt(t, field+".type", "must be String, StringList or SecureString, not %q", base.Type)
	}
	single := f["value"] != nil || f["labels"] != nil || f["lastModified"] != nil
	versions, err := e.versions(f, field, single, "give either versions or value (with labels, lastModified), not both")
	if err != nil {
		return err
	}
	if versions == nil {
		if f["value"] == nil {
			return e.errAt(n, field+".value", "missing (or give versions)")
		}
		return e.parameterVersion(base, f, n, field)
	}
	return e.array(versions, field+".versions", func(vn *jsonNode, vf string) error {
		vfields, err := e.object(vn, vf, paramVersionFields...)
		if err != nil {
			return err
		}
		if vfields["value"] == nil {
			return e.errAt(vn, vf+".value", "missing")
		}
		return e.parameterVersion(base, vfields, vn, vf)
	})
}

// name returns the required, non-empty "name" of the object n at field.
func (e *emulation) name(f map[string]*jsonNode, n *jsonNode, field string) (string, error) {
	if f["name"] == nil {
		return "", e.errAt(n, field+".name", "missing")
	}
	name, err := e.str(f["name"], field+".name")
	if err == nil && name == "" {
		err = e.errAt(f["name"], field+".name", "must not be empty")
	}
	return name, err
}

// optStrings reads the optional string fields of f into dst, by key.
func (e *emulation) optStrings(f map[string]*jsonNode, field string, dst map[string]*string) error {
	for _, k := range []string{"type", "dataType", "keyId", "arn", "versionId"} { // file order of errors: fixed
		d, ok := dst[k]
		if !ok || f[k] == nil {
			continue
		}
		var err error
		if *d, err = e.str(f[k], field+"."+k); err != nil {
			return err
		}
	}
	return nil
}

// versions returns the "versions" array of f, nil when there is none: it is
// an error to give it with the fields of a single version (single), or
// empty.
func (e *emulation) versions(f map[string]*jsonNode, field string, single bool, both string) (*jsonNode, error) {
	v := f["versions"]
	switch {
	case v == nil:
		return nil, nil
	case single:
		return nil, e.errAt(v, field+".versions", "%s", both)
	case v.kind == '[' && len(v.elems) == 0:
		return nil, e.errAt(v, field+".versions", "must hold at least one version")
	}
	return v, nil
}

func (e *emulation) parameterVersion(base sourcetest.Parameter, f map[string]*jsonNode, n *jsonNode, field string) error {
	p := base
	v := f["value"]
	switch v.kind {
	case '"':
		p.Value = v.str
	case '[': // a StringList written as a JSON array
		items, err := e.strs(v, field+".value")
		if err != nil {
			return err
		}
		if p.Type != "StringList" {
			return e.errAt(v, field+".value", "an array value needs \"type\": \"StringList\"")
		}
		p.Value = strings.Join(items, ",")
	default:
		return e.errAt(v, field+".value", "must be a string (or an array of strings for a StringList), not %s", v.kindName())
	}
	var err error
	if l := f["labels"]; l != nil {
		if p.Labels, err = e.strs(l, field+".labels"); err != nil {
			return err
		}
	}
	if t := f["lastModified"]; t != nil {
		if p.LastModified, err = e.time(t, field+".lastModified"); err != nil {
			return err
		}
	}
	e.steps = append(e.steps, seedStep{at: n, field: field, param: &p})
	return nil
}

var secretFields = []string{"name", "arn", "created", "string", "binary", "versionId", "stages", "versions"}
var secretVersionFields = []string{"string", "binary", "versionId", "stages", "created"}

// secret reads {"name", "arn"} and either one version ("string" or
// "binary", "versionId", "stages", "created") or "versions", oldest first.
func (e *emulation) secret(n *jsonNode, field string) error {
	f, err := e.object(n, field, secretFields...)
	if err != nil {
		return err
	}
	var sec sourcetest.Secret
	if sec.Name, err = e.name(f, n, field); err != nil {
		return err
	}
	if err := e.optStrings(f, field, map[string]*string{"arn": &sec.ARN}); err != nil {
		return err
	}
	single := f["string"] != nil || f["binary"] != nil || f["versionId"] != nil || f["stages"] != nil
	versions, err := e.versions(f, field, single, "give either versions or string/binary (with versionId, stages), not both")
	if err != nil {
		return err
	}
	if versions == nil {
		v, err := e.secretVersion(f, n, field)
		if err != nil {
			return err
		}
		// A single version's "created" is the secret's creation time too.
		sec.Created = v.Created
		e.steps = append(e.steps, seedStep{at: n, field: field, secret: &sec, ver: v})
		return nil
	}
	if c := f["created"]; c != nil {
		if sec.Created, err = e.time(c, field+".created"); err != nil {
			return err
		}
	}
	first := true
	return e.array(versions, field+".versions", func(vn *jsonNode, vf string) error {
		vfields, err := e.object(vn, vf, secretVersionFields...)
		if err != nil {
			return err
		}
		v, err := e.secretVersion(vfields, vn, vf)
		if err != nil {
			return err
		}
		st := seedStep{at: vn, field: vf, ver: v, name: sec.Name}
		if first { // the first version creates the secret
			st.secret, first = &sec, false
		}
		e.steps = append(e.steps, st)
		return nil
	})
}

func (e *emulation) secretVersion(f map[string]*jsonNode, n *jsonNode, field string) (*sourcetest.SecretVersion, error) {
	var v sourcetest.SecretVersion
	if err := e.secretValue(f, n, field, &v); err != nil {
		return nil, err
	}
	if err := e.optStrings(f, field, map[string]*string{"versionId": &v.VersionID}); err != nil {
		return nil, err
	}
	var err error
	if st := f["stages"]; st != nil {
		if v.Stages, err = e.strs(st, field+".stages"); err != nil {
			return nil, err
		}
	}
	if c := f["created"]; c != nil {
		if v.Created, err = e.time(c, field+".created"); err != nil {
			return nil, err
		}
	}
	return &v, nil
}

// secretValue reads a version's "string" (a string, or JSON written
// inline) or "binary" (base64) into v.
func (e *emulation) secretValue(f map[string]*jsonNode, n *jsonNode, field string, v *sourcetest.SecretVersion) error {
	str, bin := f["string"], f["binary"]
	switch {
	case str != nil && bin != nil:
		return e.errAt(bin, field+".binary", "give either string or binary, not both")
	case str == nil && bin == nil:
		return e.errAt(n, field+".string", "missing (or give binary)")
	case bin != nil:
		s, err := e.str(bin, field+".binary")
		if err != nil {
			return err
		}
		if v.Binary, err = base64.StdEncoding.DecodeString(s); err != nil {
			return e.errAt(bin, field+".binary", "must be standard base64: %v", err)
		}
		return nil
	}
	switch str.kind {
	case '"':
		s := str.str
		v.String = &s
	case '{', '[': // a JSON secret written inline: stored compact
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.data[str.start:str.end]); err != nil {
			return e.errAt(str, field+".string", "%v", err)
		}
		s := buf.String()
		v.String = &s
	default:
		return e.errAt(str, field+".string", "must be a string or a JSON object, not %s", str.kindName())
	}
	return nil
}

// seed writes the file's parameters and secrets into s, in file order. A
// write the fake rejects (a bad name, a duplicate secret, a bad label) is an
// error naming the place in the file.
func (e *emulation) seed(s *sourcetest.Server) error {
	for _, st := range e.steps {
		var err error
		switch {
		case st.param != nil:
			_, err = s.PutParameter(*st.param)
		case st.secret != nil:
			_, err = s.CreateSecret(*st.secret, *st.ver)
		default:
			_, err = s.PutSecretValue(st.name, *st.ver)
		}
		if err != nil {
			// sourcetest says "sourcetest: PutParameter NAME: CAUSE": the place
			// in the file names the write, so the cause is enough.
			if cause := errors.Unwrap(err); cause != nil {
				err = cause
			}
			return e.errAt(st.at, st.field, "%v", err)
		}
	}
	return nil
}

// counts returns how many parameter versions and secret versions the file
// holds.
func (e *emulation) counts() (params, secrets int) {
	for _, st := range e.steps {
		if st.param != nil {
			params++
		} else {
			secrets++
		}
	}
	return params, secrets
}

func join(field, k string) string {
	if field == "" {
		return k
	}
	return field + "." + k
}

func orTop(field string) string {
	if field == "" {
		return "(top level)"
	}
	return field
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
