package sourcetest

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
)

// This file holds secret tags (TagResource, and TagSecret for tests) and
// ListSecrets with its filters.

// TagSecret adds tags to a secret (by name or ARN), replacing the values of
// keys it has, as TagResource does. A secret deleted and created again has
// none of its former tags.
func (s *Server) TagSecret(nameOrARN string, tags map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.tagLocked(nameOrARN, tags); e != nil {
		return e
	}
	return nil
}

func (s *Server) tagLocked(id string, tags map[string]string) *apiError {
	sec := s.findSecretLocked(id)
	if sec == nil {
		return notFoundSecret()
	}
	if s.tags == nil {
		s.tags = map[*secret]map[string]string{}
	}
	if s.tags[sec] == nil {
		s.tags[sec] = map[string]string{}
	}
	maps.Copy(s.tags[sec], tags)
	return nil
}

type tagJSON struct{ Key, Value string }

type tagResourceInput struct {
	SecretId *string
	Tags     []tagJSON
}

func (in *tagResourceInput) names() []string { return ids(in.SecretId) }

func (in *tagResourceInput) serve(s *Server) (any, error) {
	if in.SecretId == nil {
		return nil, required("secretId")
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.tagLocked(*in.SecretId, tags); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

type filterJSON struct {
	Key    string
	Values []string
}

type listSecretsInput struct {
	Filters                []filterJSON
	IncludePlannedDeletion bool
	MaxResults             *int
	NextToken              *string
}

func (in *listSecretsInput) names() []string { return nil }

// serve lists secrets in name order, MaxResults (1 to 100, default 100) a
// page. Filters: name (prefix), tag-key, tag-value (prefix; as AWS, a
// value starting with ! negates it); the values of one filter are ORed,
// filters ANDed.
func (in *listSecretsInput) serve(s *Server) (any, error) {
	limit := 100
	if in.MaxResults != nil {
		if limit = *in.MaxResults; limit < 1 || limit > 100 {
			return nil, errorf("ValidationException", "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100 and greater than or equal to 1")
		}
	}
	for _, f := range in.Filters {
		if f.Key != "name" && f.Key != "tag-key" && f.Key != "tag-value" {
			return nil, errorf("InvalidParameterException", "sourcetest: filter key %q is not supported (name, tag-key, tag-value)", f.Key)
		}
	}
	after := ""
	if in.NextToken != nil && *in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil {
			return nil, errorf("InvalidNextTokenException", "The NextToken value is invalid.")
		}
		after = string(b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name, sec := range s.secrets {
		if name <= after || (!sec.deleted.IsZero() && !in.IncludePlannedDeletion) {
			continue
		}
		if !slices.ContainsFunc(in.Filters, func(f filterJSON) bool { return !s.matchLocked(sec, f) }) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	type entry struct {
		ARN             string
		CreatedDate     epoch `json:",omitzero"`
		DeletedDate     epoch `json:",omitzero"`
		LastChangedDate epoch `json:",omitzero"`
		Name            string
		Tags            []tagJSON `json:",omitempty"`
	}
	out := struct {
		NextToken  string `json:",omitempty"`
		SecretList []entry
	}{SecretList: []entry{}}
	for i, name := range names {
		if i == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[i-1]))
			break
		}
		sec := s.secrets[name]
		e := entry{ARN: sec.arn, CreatedDate: epoch(sec.created), DeletedDate: epoch(sec.deleted), LastChangedDate: epoch(sec.changed), Name: sec.name}
		for _, k := range slices.Sorted(maps.Keys(s.tags[sec])) {
			e.Tags = append(e.Tags, tagJSON{k, s.tags[sec][k]})
		}
		out.SecretList = append(out.SecretList, e)
	}
	return out, nil
}

// matchLocked reports whether sec passes one ListSecrets filter.
func (s *Server) matchLocked(sec *secret, f filterJSON) bool {
	return slices.ContainsFunc(f.Values, func(v string) bool {
		neg := strings.HasPrefix(v, "!")
		v = strings.TrimPrefix(v, "!")
		var hit bool
		switch f.Key {
		case "name":
			hit = strings.HasPrefix(sec.name, v)
		case "tag-key":
			_, hit = s.tags[sec][v]
		case "tag-value":
			for _, tv := range s.tags[sec] {
				hit = hit || strings.HasPrefix(tv, v)
			}
		}
		return hit != neg
	})
}
