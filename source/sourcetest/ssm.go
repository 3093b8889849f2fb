package sourcetest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Parameter is one version of an SSM parameter to seed with
// [Server.PutParameter]. Only Name and Value are required.
type Parameter struct {
	Name  string // the name, for example "/app/db/password"
	Value string // the plaintext value; for StringList the raw comma-separated list
	// Type is "String" (the default when empty), "StringList" or
	// "SecureString".
	Type string
	// DataType is "text" (the default when empty), "aws:ec2:image" or
	// "aws:ssm:integration".
	DataType string
	// KeyID is the KMS key of a SecureString; empty means "alias/aws/ssm".
	// Keys are not checked.
	KeyID string
	// Ciphertext is what a SecureString read without decryption returns for
	// this version. Empty means a deterministic opaque base64 text that
	// starts "AQICAH" and does not contain the plaintext.
	Ciphertext string
	// LastModified is the version's LastModifiedDate, kept to the
	// millisecond; zero means the server's clock now.
	LastModified time.Time
	// Labels are attached to the new version, moved from older versions
	// that hold them, as LabelParameterVersion does.
	Labels []string
}

type paramVersion struct {
	version  int64
	value    string
	cipher   string
	typ      string
	dataType string
	keyID    string
	tier     string
	modified time.Time
	labels   []string
}

type parameter struct {
	name     string          // as first created
	versions []*paramVersion // ascending by version; at most maxVersions
}

func (p *parameter) latest() *paramVersion { return p.versions[len(p.versions)-1] }

func (p *parameter) find(v int64) *paramVersion {
	for _, pv := range p.versions {
		if pv.version == v {
			return pv
		}
	}
	return nil
}

func (p *parameter) findLabel(label string) *paramVersion {
	for _, pv := range p.versions {
		if slices.Contains(pv.labels, label) {
			return pv
		}
	}
	return nil
}

// PutParameter adds a version of a parameter, creating it at version 1 or
// appending the next version (as PutParameter with Overwrite does), and
// returns the new version number. It enforces AWS's name rules and value
// limits, except that the reserved prefixes "aws" and "ssm" are allowed (to
// seed public parameters) and values may reach the Advanced tier's 8 KB.
// It is safe to call while the server serves.
func (s *Server) PutParameter(p Parameter) (version int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, e := s.putLocked(putArgs{
		name: p.Name, value: p.Value, typ: p.Type, dataType: p.DataType, keyID: p.KeyID,
		cipher: p.Ciphertext, modified: p.LastModified, labels: p.Labels,
		overwrite: true, seeding: true,
	})
	if e != nil {
		return 0, fmt.Errorf("sourcetest: PutParameter %q: %w", p.Name, e)
	}
	return v, nil
}

// LabelParameterVersion attaches labels to a version of the parameter name
// (0 means its latest version), moving each from the version that holds
// it, as AWS does. It fails if the parameter or version does not exist or a
// label is invalid.
func (s *Server) LabelParameterVersion(name string, version int64, labels ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	invalid, _, e := s.labelLocked(name, version, labels)
	if e != nil {
		return fmt.Errorf("sourcetest: LabelParameterVersion %q: %w", name, e)
	}
	if len(invalid) > 0 {
		return fmt.Errorf("sourcetest: LabelParameterVersion %q: invalid labels %q", name, invalid)
	}
	return nil
}

// DeleteParameter deletes the parameter name and all its versions. It fails
// if the parameter does not exist.
func (s *Server) DeleteParameter(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.deleteParamLocked(name); e != nil {
		return fmt.Errorf("sourcetest: DeleteParameter %q: %w", name, e)
	}
	return nil
}

type putArgs struct {
	name, value, typ, dataType, keyID, tier, cipher string
	modified                                        time.Time
	labels                                          []string
	overwrite, seeding                              bool
}

func (s *Server) putLocked(a putArgs) (int64, *apiError) {
	if e := s.validName(a.name, a.seeding); e != nil {
		return 0, e
	}
	if e := a.checkValue(); e != nil {
		return 0, e
	}
	key := paramKey(a.name)
	p := s.params[key]
	var prev *paramVersion
	if p != nil {
		prev = p.latest()
		if !a.overwrite {
			return 0, errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
	}
	if e := a.complete(prev); e != nil {
		return 0, e
	}
	if p == nil {
		p = &parameter{name: a.name}
	} else if len(p.versions) >= maxVersions {
		if old := p.versions[0]; len(old.labels) > 0 {
			return 0, errorf("ParameterMaxVersionLimitExceeded", "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", a.name, old.version)
		}
		p.versions = slices.Delete(p.versions, 0, 1)
	}
	pv := s.newVersion(p, prev, a)
	p.versions = append(p.versions, pv)
	s.params[key] = p
	for _, l := range a.labels {
		s.moveLabel(p, pv, l)
	}
	return pv.version, nil
}

// checkValue applies SSM's rules on the value and the tier.
func (a *putArgs) checkValue() *apiError {
	if a.value == "" {
		return errorf("ValidationException", "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	switch a.tier {
	case "", "Standard", "Intelligent-Tiering":
		if !a.seeding && len(a.value) > maxStandardValue {
			return errorf("ValidationException", "Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", maxStandardValue)
		}
	case "Advanced":
	default:
		return errorf("ValidationException", "1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]", a.tier)
	}
	if len(a.value) > maxAdvancedValue {
		return errorf("ValidationException", "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d.", maxAdvancedValue)
	}
	return nil
}

// complete fills the type, data type and key from prev (the latest
// version, or nil) as SSM does, and checks them and the labels.
func (a *putArgs) complete(prev *paramVersion) *apiError {
	switch {
	case a.typ == "" && prev != nil:
		a.typ = prev.typ
	case a.typ == "" && a.seeding:
		a.typ = "String"
	case a.typ == "":
		return errorf("ValidationException", "A parameter type is required when you create a parameter.")
	case a.typ != "String" && a.typ != "StringList" && a.typ != "SecureString":
		return errorf("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", a.typ)
	}
	switch a.dataType {
	case "":
		a.dataType = "text"
		if prev != nil {
			a.dataType = prev.dataType
		}
	case "text", "aws:ec2:image", "aws:ssm:integration":
	default:
		return errorf("ValidationException", "The following data type is not supported: %s (Data type names are all lowercase.)", a.dataType)
	}
	if a.typ == "SecureString" && a.keyID == "" {
		a.keyID = "alias/aws/ssm"
	} else if a.typ != "SecureString" {
		a.keyID, a.cipher = "", ""
	}
	for _, l := range a.labels {
		if !validLabel(l) {
			return errorf("ValidationException", "invalid label %q", l)
		}
	}
	if len(a.labels) > maxLabelsPerVer {
		return errorf("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum %d labels.", maxLabelsPerVer)
	}
	return nil
}

// newVersion builds the version a puts after prev (nil for the first).
func (s *Server) newVersion(p *parameter, prev *paramVersion, a putArgs) *paramVersion {
	pv := &paramVersion{
		version: 1, value: a.value, typ: a.typ, dataType: a.dataType, keyID: a.keyID,
		tier: a.tier, modified: msUTC(a.modified),
	}
	if prev != nil {
		pv.version = prev.version + 1
	}
	if pv.tier == "" {
		pv.tier = "Standard"
	}
	if a.modified.IsZero() {
		pv.modified = s.now()
	}
	if pv.typ == "SecureString" {
		pv.cipher = a.cipher
		if pv.cipher == "" {
			pv.cipher = s.ciphertext(p.name, pv.version, pv.keyID, pv.value)
		}
	}
	return pv
}

// moveLabel attaches label to pv, removing it from p's other versions.
func (s *Server) moveLabel(p *parameter, pv *paramVersion, label string) {
	for _, o := range p.versions {
		if o != pv {
			o.labels = slices.DeleteFunc(o.labels, func(x string) bool { return x == label })
		}
	}
	if !slices.Contains(pv.labels, label) {
		pv.labels = append(pv.labels, label)
	}
}

// lookupParam finds a parameter by name or ARN (without selector).
func (s *Server) lookupParam(name string) *parameter {
	n, ok := s.nameFromARN(name)
	if !ok {
		return nil
	}
	return s.params[paramKey(n)]
}

func (s *Server) labelLocked(name string, version int64, labels []string) (invalid []string, v int64, e *apiError) {
	p := s.lookupParam(name)
	if p == nil {
		return nil, 0, errorf("ParameterNotFound", "Parameter %s not found.", name)
	}
	pv := p.latest()
	if version != 0 {
		if pv = p.find(version); pv == nil {
			return nil, 0, errorf("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", version, name)
		}
	}
	var add []string
	for _, l := range labels {
		switch {
		case !validLabel(l):
			invalid = append(invalid, l)
		case !slices.Contains(pv.labels, l) && !slices.Contains(add, l):
			add = append(add, l)
		}
	}
	if len(pv.labels)+len(add) > maxLabelsPerVer {
		return nil, 0, errorf("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum %d labels. Move one or more labels to another version and try again.", maxLabelsPerVer)
	}
	for _, l := range add {
		s.moveLabel(p, pv, l)
	}
	return invalid, pv.version, nil
}

func (s *Server) deleteParamLocked(name string) *apiError {
	n, ok := s.nameFromARN(name)
	if _, found := s.params[paramKey(n)]; !ok || !found {
		return errorf("ParameterNotFound", "Parameter %s not found.", name)
	}
	delete(s.params, paramKey(n))
	return nil
}

// paramJSON is the wire form of ssm types.Parameter.
type paramJSON struct {
	ARN              string `json:"ARN,omitempty"`
	DataType         string `json:"DataType,omitempty"`
	LastModifiedDate epoch  `json:"LastModifiedDate,omitzero"`
	Name             string `json:"Name,omitempty"`
	Selector         string `json:"Selector,omitempty"`
	SourceResult     string `json:"SourceResult,omitempty"`
	Type             string `json:"Type,omitempty"`
	Value            string `json:"Value,omitempty"`
	Version          int64  `json:"Version"`
}

func (s *Server) paramOut(p *parameter, pv *paramVersion, decrypt bool) paramJSON {
	v := pv.value
	if pv.typ == "SecureString" && !decrypt {
		v = pv.cipher
	}
	return paramJSON{
		ARN: s.paramARN(p.name), DataType: pv.dataType, LastModifiedDate: epoch(pv.modified),
		Name: p.name, Type: pv.typ, Value: v, Version: pv.version,
	}
}

// resolveLocked reads one parameter as GetParameter does: name or ARN,
// with an optional :version or :label selector, or a Secrets Manager
// reference.
func (s *Server) resolveLocked(name string, decrypt bool) (paramJSON, *apiError) {
	if strings.HasPrefix(name, referencePrefix) {
		return s.referenceLocked(name, decrypt)
	}
	if name == "" {
		return paramJSON{}, errorf("ValidationException", "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	if len(name) > maxNameLen {
		return paramJSON{}, errorf("ValidationException", "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to %d.", maxNameLen)
	}
	base, sel, hasSel := splitSelector(name)
	p := s.lookupParam(base)
	if p == nil {
		return paramJSON{}, errorf("ParameterNotFound", "Parameter %s not found.", name)
	}
	pv := p.latest()
	if hasSel {
		if isDigits(sel) {
			n, err := strconv.ParseInt(sel, 10, 64)
			if pv = p.find(n); err != nil || pv == nil {
				return paramJSON{}, errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", sel, base)
			}
		} else if pv = p.findLabel(sel); pv == nil {
			return paramJSON{}, errorf("ParameterNotFound", "Parameter %s not found.", name)
		}
	}
	out := s.paramOut(p, pv, decrypt)
	if hasSel {
		out.Selector = ":" + sel
	}
	return out, nil
}
