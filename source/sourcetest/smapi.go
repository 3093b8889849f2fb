package sourcetest

import (
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

// This file holds the wire inputs of the Secrets Manager operations and
// their serve methods.

func ids(id *string) []string {
	if id == nil {
		return nil
	}
	return []string{*id}
}

type getSecretValueInput struct {
	SecretId, VersionId, VersionStage *string
}

func (in *getSecretValueInput) names() []string { return ids(in.SecretId) }

func (in *getSecretValueInput) serve(s *Server) (any, error) {
	if in.SecretId == nil {
		return nil, required("secretId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(*in.SecretId)
	if e != nil {
		return nil, e
	}
	v, e := selectVersion(sec, deref(in.VersionId), deref(in.VersionStage))
	if e != nil {
		return nil, e
	}
	return valueOut(sec, v), nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type describeSecretInput struct{ SecretId *string }

func (in *describeSecretInput) names() []string { return ids(in.SecretId) }

func (in *describeSecretInput) serve(s *Server) (any, error) {
	if in.SecretId == nil {
		return nil, required("secretId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findSecretLocked(*in.SecretId)
	if sec == nil {
		return nil, notFoundSecret()
	}
	stages := make(map[string][]string)
	for _, v := range sec.versions {
		if len(v.stages) > 0 { // AWS lists only versions that have a stage
			stages[v.id] = slices.Clone(v.stages)
		}
	}
	return struct {
		ARN                string
		CreatedDate        epoch  `json:",omitzero"`
		DeletedDate        epoch  `json:",omitzero"`
		Description        string `json:",omitempty"`
		KmsKeyID           string `json:"KmsKeyId,omitempty"`
		LastChangedDate    epoch  `json:",omitzero"`
		Name               string
		VersionIdsToStages map[string][]string
		rotationOut        // rotation.go
	}{sec.arn, epoch(sec.created), epoch(sec.deleted), sec.description, sec.kmsKeyID, epoch(sec.changed), sec.name, stages,
		sec.rotation.out()}, nil
}

type batchGetSecretValueInput struct {
	SecretIdList []string
	Filters      []struct {
		Key    string
		Values []string
	}
	MaxResults *int
	NextToken  *string
}

func (in *batchGetSecretValueInput) names() []string { return in.SecretIdList }

func (in *batchGetSecretValueInput) serve(s *Server) (any, error) {
	switch {
	case len(in.SecretIdList) > 0 && len(in.Filters) > 0:
		return nil, errorf("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	case len(in.SecretIdList) == 0 && len(in.Filters) == 0:
		return nil, errorf("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided.")
	case len(in.SecretIdList) > 20:
		return nil, errorf("ValidationException", "1 validation error detected: Value at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to 20")
	case in.MaxResults != nil && len(in.Filters) == 0:
		return nil, errorf("InvalidParameterException", "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
	}
	out := batchOut{Errors: []entryError{}, SecretValues: []secretValueJSON{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range in.SecretIdList {
		sec, e := s.liveSecretLocked(id)
		var v *secretVersion
		if e == nil {
			v, e = selectVersion(sec, "", "")
		}
		if e != nil {
			out.Errors = append(out.Errors, entryError{e.Code, e.Message, id})
			continue
		}
		out.SecretValues = append(out.SecretValues, valueOut(sec, v))
	}
	if len(in.Filters) == 0 {
		return out, nil
	}
	return s.filterSecretsLocked(in, out)
}

// batchOut is BatchGetSecretValue's answer.
type batchOut = struct {
	Errors       []entryError
	NextToken    string `json:",omitempty"`
	SecretValues []secretValueJSON
}

type entryError struct{ ErrorCode, Message, SecretId string }

// filterSecretsLocked answers a BatchGetSecretValue by filters: only the
// key "name" (prefix match, as AWS) is supported.
func (s *Server) filterSecretsLocked(in *batchGetSecretValueInput, out batchOut) (any, error) {
	limit := 20
	if in.MaxResults != nil {
		if limit = *in.MaxResults; limit < 1 || limit > 20 {
			return nil, errorf("ValidationException", "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 20 and greater than or equal to 1")
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
	var names []string
	for name, sec := range s.secrets {
		if name <= after || !sec.deleted.IsZero() || sec.staged("AWSCURRENT") == nil {
			continue
		}
		ok := true
		for _, f := range in.Filters {
			if f.Key != "name" {
				return nil, errorf("InvalidParameterException", "sourcetest: only the filter key \"name\" is supported")
			}
			ok = ok && slices.ContainsFunc(f.Values, func(p string) bool { return strings.HasPrefix(name, p) })
		}
		if ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for i, name := range names {
		if i == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[i-1]))
			break
		}
		sec := s.secrets[name]
		out.SecretValues = append(out.SecretValues, valueOut(sec, sec.staged("AWSCURRENT")))
	}
	return out, nil
}

type createSecretInput struct {
	Name, ClientRequestToken, SecretString *string
	Description, KmsKeyId                  string
	SecretBinary                           []byte
}

func (in *createSecretInput) names() []string { return ids(in.Name) }

func (in *createSecretInput) serve(s *Server) (any, error) {
	if in.Name == nil {
		return nil, required("name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	first := SecretVersion{String: in.SecretString, Binary: in.SecretBinary, VersionID: deref(in.ClientRequestToken)}
	if old := s.secrets[*in.Name]; old != nil && first.VersionID != "" && old.deleted.IsZero() {
		// An idempotent retry of the same CreateSecret succeeds.
		if v := old.version(first.VersionID); v != nil && equalPtr(v.str, first.String) && string(v.bin) == string(first.Binary) {
			return struct{ ARN, Name, VersionId string }{old.arn, old.name, v.id}, nil
		}
	}
	id, e := s.createSecretLocked(Secret{Name: *in.Name}, first, in.Description)
	if e != nil {
		return nil, e
	}
	sec := s.secrets[*in.Name]
	sec.kmsKeyID = in.KmsKeyId
	return struct {
		ARN, Name string
		VersionID string `json:"VersionId,omitempty"`
	}{sec.arn, sec.name, id}, nil
}

type putSecretValueInput struct {
	SecretId, ClientRequestToken, SecretString *string
	SecretBinary                               []byte
	VersionStages                              []string
}

func (in *putSecretValueInput) names() []string { return ids(in.SecretId) }

func (in *putSecretValueInput) serve(s *Server) (any, error) {
	if in.SecretId == nil {
		return nil, required("secretId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(*in.SecretId)
	if e != nil {
		return nil, e
	}
	id, e := s.addVersionLocked(sec, SecretVersion{
		String: in.SecretString, Binary: in.SecretBinary,
		VersionID: deref(in.ClientRequestToken), Stages: in.VersionStages,
	})
	if e != nil {
		return nil, e
	}
	return struct {
		ARN, Name     string
		VersionID     string `json:"VersionId"`
		VersionStages []string
	}{sec.arn, sec.name, id, slices.Clone(sec.version(id).stages)}, nil
}

type updateSecretVersionStageInput struct {
	SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId *string
}

func (in *updateSecretVersionStageInput) names() []string { return ids(in.SecretId) }

func (in *updateSecretVersionStageInput) serve(s *Server) (any, error) {
	switch {
	case in.SecretId == nil:
		return nil, required("secretId")
	case in.VersionStage == nil:
		return nil, required("versionStage")
	}
	stage, moveTo, removeFrom := *in.VersionStage, deref(in.MoveToVersionId), deref(in.RemoveFromVersionId)
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(*in.SecretId)
	if e != nil {
		return nil, e
	}
	holder := sec.staged(stage)
	var from, to *secretVersion
	if removeFrom != "" {
		if from = sec.version(removeFrom); from == nil {
			return nil, errorf("InvalidParameterException", "Not a valid version: %s", removeFrom)
		}
		if from != holder {
			return nil, errorf("InvalidParameterException", "Version stage %s not found in version %s", stage, removeFrom)
		}
	}
	switch {
	case moveTo != "":
		if to = sec.version(moveTo); to == nil {
			return nil, errorf("InvalidParameterException", "Not a valid version: %s", moveTo)
		}
		if holder != nil && holder != to && from == nil {
			return nil, errorf("InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", stage, holder.id)
		}
		moveStage(sec, stage, to)
	case from == nil:
		return nil, errorf("InvalidParameterException", "You must specify MoveToVersionId or RemoveFromVersionId.")
	case stage == "AWSCURRENT":
		return nil, errorf("InvalidParameterException", "You can't remove the staging label AWSCURRENT from a version without moving it to another version with MoveToVersionId.")
	default:
		from.stages = slices.DeleteFunc(from.stages, func(x string) bool { return x == stage })
	}
	sec.changed = s.now()
	return struct{ ARN, Name string }{sec.arn, sec.name}, nil
}

type deleteSecretInput struct {
	SecretId                   *string
	RecoveryWindowInDays       *int64
	ForceDeleteWithoutRecovery bool
}

func (in *deleteSecretInput) names() []string { return ids(in.SecretId) }

func (in *deleteSecretInput) serve(s *Server) (any, error) {
	switch {
	case in.SecretId == nil:
		return nil, required("secretId")
	case in.RecoveryWindowInDays != nil && in.ForceDeleteWithoutRecovery:
		return nil, errorf("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	case in.RecoveryWindowInDays != nil && (*in.RecoveryWindowInDays < 7 || *in.RecoveryWindowInDays > 30):
		return nil, errorf("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findSecretLocked(*in.SecretId)
	switch {
	case sec == nil:
		return nil, notFoundSecret()
	case !sec.deleted.IsZero() && !in.ForceDeleteWithoutRecovery:
		return nil, deletedSecret()
	}
	now := s.now()
	when := now
	if in.ForceDeleteWithoutRecovery {
		delete(s.secrets, sec.name)
	} else {
		days := int64(30)
		if in.RecoveryWindowInDays != nil {
			days = *in.RecoveryWindowInDays
		}
		sec.deleted = now
		when = now.Add(time.Duration(days) * 24 * time.Hour)
	}
	return struct {
		ARN          string
		DeletionDate epoch
		Name         string
	}{sec.arn, epoch(when), sec.name}, nil
}
