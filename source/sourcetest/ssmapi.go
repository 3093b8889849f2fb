package sourcetest

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
)

// This file holds the wire inputs of the SSM operations and their serve
// methods. Field names follow the AWS JSON 1.1 members; pointers mark
// members whose absence matters.

type getParameterInput struct {
	Name           *string
	WithDecryption bool
}

func (in *getParameterInput) names() []string { return ssmNames(in.Name) }

func (in *getParameterInput) serve(s *Server) (any, error) {
	if in.Name == nil {
		return nil, required("name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.resolveLocked(*in.Name, in.WithDecryption)
	if e != nil {
		return nil, e
	}
	return struct{ Parameter paramJSON }{p}, nil
}

// ssmNames returns the name for counters and faults: without selector, a
// reference keeps its full /aws/reference/secretsmanager/ prefix.
func ssmNames(names ...*string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != nil {
			out = append(out, stripSelector(*n))
		}
	}
	return out
}

func stripSelector(name string) string {
	if rest, ok := strings.CutPrefix(name, referencePrefix); ok {
		id, _, _ := splitReference(rest)
		return referencePrefix + id
	}
	base, _, _ := splitSelector(name)
	return base
}

type getParametersInput struct {
	Names          []string
	WithDecryption bool
}

func (in *getParametersInput) names() []string {
	out := make([]string, len(in.Names))
	for i, n := range in.Names {
		out[i] = stripSelector(n)
	}
	return out
}

func (in *getParametersInput) serve(s *Server) (any, error) {
	if in.Names == nil {
		return nil, required("names")
	}
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, errorf("ValidationException", "1 validation error detected: Value '[%s]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1.", strings.Join(in.Names, ", "))
	}
	out := struct {
		Parameters        []paramJSON
		InvalidParameters []string
	}{Parameters: []paramJSON{}, InvalidParameters: []string{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	var seen []string
	for _, n := range in.Names {
		if slices.Contains(seen, n) {
			continue
		}
		seen = append(seen, n)
		p, e := s.resolveLocked(n, in.WithDecryption)
		switch {
		case e == nil:
			out.Parameters = append(out.Parameters, p)
		case e.Code == "ParameterNotFound" || e.Code == "ParameterVersionNotFound":
			out.InvalidParameters = append(out.InvalidParameters, n)
		default:
			return nil, e
		}
	}
	return out, nil
}

type getParametersByPathInput struct {
	Path             *string
	Recursive        bool
	WithDecryption   bool
	MaxResults       *int
	NextToken        *string
	ParameterFilters []struct{ Key string }
}

func (in *getParametersByPathInput) names() []string { return ssmNames(in.Path) }

func (in *getParametersByPathInput) serve(s *Server) (any, error) {
	if in.Path == nil {
		return nil, required("path")
	}
	path := *in.Path
	if !strings.HasPrefix(path, "/") || len(path) > maxNameLen || strings.Count(path, "/") > maxLevels+1 {
		return nil, errorf("ValidationException", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	}
	limit := 10
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 10 {
			return nil, errorf("ValidationException", "1 validation error detected: Value %d at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10 and greater than or equal to 1", limit)
		}
	}
	if len(in.ParameterFilters) > 0 {
		return nil, errorf("ValidationException", "sourcetest: ParameterFilters are not supported")
	}
	after := ""
	if in.NextToken != nil && *in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, errorf("ValidationException", "The following token is invalid: %s", *in.NextToken)
		}
		after = string(b)
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []*parameter
	for _, p := range s.params {
		full := p.name
		if !strings.HasPrefix(full, "/") {
			full = "/" + full
		}
		rest, ok := strings.CutPrefix(full, prefix)
		if ok && rest != "" && (in.Recursive || !strings.Contains(rest, "/")) && p.name > after {
			match = append(match, p)
		}
	}
	slices.SortFunc(match, func(a, b *parameter) int { return strings.Compare(a.name, b.name) })
	out := struct {
		Parameters []paramJSON
		NextToken  string `json:",omitempty"`
	}{Parameters: []paramJSON{}}
	for i, p := range match {
		if i == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(match[i-1].name))
			break
		}
		out.Parameters = append(out.Parameters, s.paramOut(p, p.latest(), in.WithDecryption))
	}
	return out, nil
}

type putParameterInput struct {
	Name, Value                                        *string
	Type, DataType, KeyId, Tier, Description, Policies string
	AllowedPattern                                     *string
	Overwrite                                          bool
	Tags                                               []struct{ Key, Value string }
}

func (in *putParameterInput) names() []string { return ssmNames(in.Name) }

func (in *putParameterInput) serve(s *Server) (any, error) {
	switch {
	case in.Name == nil:
		return nil, required("name")
	case in.Value == nil:
		return nil, required("value")
	case in.Overwrite && len(in.Tags) > 0:
		return nil, errorf("ValidationException", "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if in.AllowedPattern != nil {
		re, err := regexp.Compile(*in.AllowedPattern)
		if err != nil {
			return nil, errorf("ValidationException", "Parameter allowedPattern is not a valid regular expression.")
		}
		if !re.MatchString(*in.Value) {
			return nil, errorf("ValidationException", "Parameter value, cannot be validated against allowedPattern: %s", *in.AllowedPattern)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, e := s.putLocked(putArgs{
		name: *in.Name, value: *in.Value, typ: in.Type, dataType: in.DataType, keyID: in.KeyId,
		tier: in.Tier, overwrite: in.Overwrite,
	})
	if e != nil {
		return nil, e
	}
	tier := in.Tier
	if tier == "" {
		tier = "Standard"
	}
	return struct {
		Tier    string
		Version int64
	}{tier, v}, nil
}

type labelParameterVersionInput struct {
	Name             *string
	ParameterVersion *int64
	Labels           []string
}

func (in *labelParameterVersionInput) names() []string { return ssmNames(in.Name) }

func (in *labelParameterVersionInput) serve(s *Server) (any, error) {
	switch {
	case in.Name == nil:
		return nil, required("name")
	case in.Labels == nil:
		return nil, required("labels")
	case len(in.Labels) == 0 || len(in.Labels) > maxLabelsPerVer:
		return nil, errorf("ValidationException", "1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	var v int64
	if in.ParameterVersion != nil {
		if v = *in.ParameterVersion; v < 1 {
			return nil, errorf("ValidationException", "1 validation error detected: Value %d at 'parameterVersion' failed to satisfy constraint: Member must have value greater than or equal to 1", v)
		}
	}
	for _, l := range in.Labels {
		if len(l) > maxLabelLen || l == "" {
			return nil, errorf("ValidationException", "1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	invalid, got, e := s.labelLocked(*in.Name, v, in.Labels)
	if e != nil {
		return nil, e
	}
	if invalid == nil {
		invalid = []string{}
	}
	return struct {
		InvalidLabels    []string
		ParameterVersion int64
	}{invalid, got}, nil
}

type deleteParameterInput struct{ Name *string }

func (in *deleteParameterInput) names() []string { return ssmNames(in.Name) }

func (in *deleteParameterInput) serve(s *Server) (any, error) {
	if in.Name == nil {
		return nil, required("name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.deleteParamLocked(*in.Name); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}
