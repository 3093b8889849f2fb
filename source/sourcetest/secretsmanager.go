package sourcetest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Secret is a Secrets Manager secret to seed with [Server.CreateSecret].
// Only Name is required.
type Secret struct {
	Name string // the secret's name, for example "prod/db"
	// ARN is the secret's full ARN. Empty means
	// arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, with a
	// six-letter suffix derived from the name (and how many times the name
	// was created before), so runs are reproducible.
	ARN string
	// Created is the secret's CreatedDate; zero means the server's clock now.
	Created time.Time
}

// SecretVersion is a version of a secret to seed with [Server.CreateSecret]
// or [Server.PutSecretValue]. Exactly one of String and Binary holds the
// value (CreateSecret accepts neither: a secret without a value).
type SecretVersion struct {
	String *string // the SecretString
	Binary []byte  // the SecretBinary
	// VersionID is the version's id; empty means a uuid-shaped id derived
	// from the ARN and the number of versions, so runs are reproducible.
	VersionID string
	// Stages are the staging labels attached to the version, moved from the
	// versions that hold them. Empty means AWSCURRENT. Whenever AWSCURRENT
	// moves, the version that held it gets AWSPREVIOUS, as in AWS.
	Stages []string
	// Created is the version's CreatedDate, kept to the millisecond; zero
	// means the server's clock now.
	Created time.Time
}

type secretVersion struct {
	id      string
	str     *string
	bin     []byte
	stages  []string
	created time.Time
}

type secret struct {
	name, arn, description, kmsKeyID string
	created, changed, deleted        time.Time // deleted: zero unless scheduled for deletion
	versions                         []*secretVersion
	rotation                         Rotation // SetRotation, FinishRotation: rotation.go
}

func (sec *secret) version(id string) *secretVersion {
	for _, v := range sec.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (sec *secret) staged(stage string) *secretVersion {
	for _, v := range sec.versions {
		if slices.Contains(v.stages, stage) {
			return v
		}
	}
	return nil
}

// CreateSecret creates a secret, with first as its first version unless
// first holds no value, and returns the version's id. It fails if the name
// is taken, invalid, or first holds both a string and a binary value.
func (s *Server) CreateSecret(sec Secret, first SecretVersion) (versionID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, e := s.createSecretLocked(sec, first, "")
	if e != nil {
		return "", fmt.Errorf("sourcetest: CreateSecret %q: %w", sec.Name, e)
	}
	return id, nil
}

// PutSecretValue adds a version to the secret nameOrARN (a name, full ARN
// or partial ARN) and returns its id. Its stages (AWSCURRENT by default) are
// moved to it as in AWS.
func (s *Server) PutSecretValue(nameOrARN string, v SecretVersion) (versionID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(nameOrARN)
	if e == nil {
		versionID, e = s.addVersionLocked(sec, v)
	}
	if e != nil {
		return "", fmt.Errorf("sourcetest: PutSecretValue %q: %w", nameOrARN, e)
	}
	return versionID, nil
}

// DeleteSecret schedules the secret nameOrARN for deletion, as AWS's
// DeleteSecret without ForceDeleteWithoutRecovery does: reads then fail
// with InvalidRequestException and DescribeSecret shows a DeletedDate.
func (s *Server) DeleteSecret(nameOrARN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(nameOrARN)
	if e != nil {
		return fmt.Errorf("sourcetest: DeleteSecret %q: %w", nameOrARN, e)
	}
	sec.deleted = s.now()
	return nil
}

func validSecretName(name string) *apiError {
	if name == "" || len(name) > 512 {
		return errorf("ValidationException", "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 512 and greater than or equal to 1")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/_+=.@-", c) >= 0) {
			return errorf("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
		}
	}
	return nil
}

func (s *Server) createSecretLocked(in Secret, first SecretVersion, description string) (string, *apiError) {
	if e := validSecretName(in.Name); e != nil {
		return "", e
	}
	if old := s.secrets[in.Name]; old != nil {
		if !old.deleted.IsZero() {
			return "", errorf("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return "", errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	if first.String != nil && first.Binary != nil {
		return "", errorf("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	s.created[in.Name]++
	sec := &secret{name: in.Name, arn: in.ARN, description: description, created: msUTC(in.Created)}
	if sec.arn == "" {
		sec.arn = s.secretARN(in.Name, s.created[in.Name])
	}
	if in.Created.IsZero() {
		sec.created = s.now()
	}
	sec.changed = sec.created
	var id string
	if first.String != nil || first.Binary != nil {
		if first.Created.IsZero() {
			first.Created = sec.created
		}
		var e *apiError
		if id, e = s.addVersionLocked(sec, first); e != nil {
			return "", e
		}
	}
	s.secrets[in.Name] = sec
	return id, nil
}

// secretARN returns the default ARN of the gen-th secret created with name.
func (s *Server) secretARN(name string, gen int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d", s.cfg.account, s.cfg.region, name, gen))
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = letters[int(h[i])%len(letters)]
	}
	return "arn:aws:secretsmanager:" + s.cfg.region + ":" + s.cfg.account + ":secret:" + name + "-" + string(suffix)
}

// versionID returns a deterministic uuid-shaped id for a secret's n-th
// version.
func versionID(arn string, n int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", arn, n))
	a, b := binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:16])
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

// addVersionLocked appends v to sec and moves its stages.
func (s *Server) addVersionLocked(sec *secret, v SecretVersion) (string, *apiError) {
	switch {
	case v.String != nil && v.Binary != nil:
		return "", errorf("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	case v.String == nil && v.Binary == nil:
		return "", errorf("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
	case v.String != nil && len(*v.String) > 65536 || len(v.Binary) > 65536:
		return "", errorf("ValidationException", "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536")
	}
	id := v.VersionID
	if id == "" {
		id = versionID(sec.arn, len(sec.versions)+1)
	} else if len(id) < 32 || len(id) > 64 {
		return "", errorf("ValidationException", "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 64 and greater than or equal to 32")
	}
	if old := sec.version(id); old != nil {
		if equalPtr(old.str, v.String) && string(old.bin) == string(v.Binary) && (old.str != nil) == (v.String != nil) {
			return id, nil // an idempotent retry
		}
		return "", errorf("ResourceExistsException", "You can't use ClientRequestToken %s because that value is already in use for a version of secret %s.", id, sec.arn)
	}
	stages := slices.Clone(v.Stages)
	if len(stages) == 0 || len(sec.versions) == 0 && !slices.Contains(stages, "AWSCURRENT") {
		stages = append(stages, "AWSCURRENT") // the first version is always current
	}
	nv := &secretVersion{id: id, str: clonePtr(v.String), bin: slices.Clone(v.Binary), created: msUTC(v.Created)}
	if v.Created.IsZero() {
		nv.created = s.now()
	}
	sec.versions = append(sec.versions, nv)
	for _, st := range stages {
		moveStage(sec, st, nv)
	}
	sec.changed = nv.created
	return id, nil
}

// moveStage attaches stage to to, removing it from the version that held
// it; moving AWSCURRENT gives AWSPREVIOUS to its former holder.
func moveStage(sec *secret, stage string, to *secretVersion) {
	from := sec.staged(stage)
	if from == to {
		return
	}
	if from != nil {
		from.stages = slices.DeleteFunc(from.stages, func(x string) bool { return x == stage })
	}
	to.stages = append(to.stages, stage)
	if stage == "AWSCURRENT" {
		to.stages = slices.DeleteFunc(to.stages, func(x string) bool { return x == "AWSPREVIOUS" })
		if from != nil {
			if prev := sec.staged("AWSPREVIOUS"); prev != nil {
				prev.stages = slices.DeleteFunc(prev.stages, func(x string) bool { return x == "AWSPREVIOUS" })
			}
			from.stages = append(from.stages, "AWSPREVIOUS")
		}
	}
}

func equalPtr(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func clonePtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// findSecretLocked finds a secret by name, full ARN or partial ARN (the
// ARN without its six-character suffix).
func (s *Server) findSecretLocked(id string) *secret {
	if sec := s.secrets[id]; sec != nil {
		return sec
	}
	if !strings.HasPrefix(id, "arn:") {
		return nil
	}
	for _, sec := range s.secrets {
		if sec.arn == id {
			return sec
		}
	}
	for _, sec := range s.secrets {
		if i := strings.LastIndexByte(sec.arn, '-'); i > 0 && sec.arn[:i] == id {
			return sec
		}
	}
	return nil
}

func notFoundSecret() *apiError {
	return errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func deletedSecret() *apiError {
	return errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

// liveSecretLocked finds a secret that is not scheduled for deletion.
func (s *Server) liveSecretLocked(id string) (*secret, *apiError) {
	sec := s.findSecretLocked(id)
	switch {
	case sec == nil:
		return nil, notFoundSecret()
	case !sec.deleted.IsZero():
		return nil, deletedSecret()
	}
	return sec, nil
}

// selectVersion picks the version GetSecretValue returns.
func selectVersion(sec *secret, versionID, stage string) (*secretVersion, *apiError) {
	var v *secretVersion
	switch {
	case versionID != "":
		if v = sec.version(versionID); v == nil {
			return nil, errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", versionID)
		}
		if stage != "" && !slices.Contains(v.stages, stage) {
			return nil, errorf("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
		}
	default:
		if stage == "" {
			stage = "AWSCURRENT"
		}
		if v = sec.staged(stage); v == nil {
			return nil, errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
		}
	}
	return v, nil
}

// secretValueJSON is the wire form of GetSecretValue's output and of
// BatchGetSecretValue's SecretValueEntry.
type secretValueJSON struct {
	ARN           string   `json:"ARN"`
	CreatedDate   epoch    `json:"CreatedDate,omitzero"`
	Name          string   `json:"Name"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	SecretString  *string  `json:"SecretString,omitempty"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

func valueOut(sec *secret, v *secretVersion) secretValueJSON {
	return secretValueJSON{
		ARN: sec.arn, CreatedDate: epoch(v.created), Name: sec.name, SecretBinary: v.bin,
		SecretString: v.str, VersionID: v.id, VersionStages: slices.Clone(v.stages),
	}
}
