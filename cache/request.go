package cache

import (
	"errors"
	"strconv"
	"time"

	"github.com/parsec-go/parsec/internal/awsname"
)

// AWS's documented limits that a read is checked against before any
// upstream call.
const (
	maxNameLen      = 2048 // SSM GetParameter Name, Secrets Manager SecretId
	maxLabelLen     = 100  // SSM parameter labels
	maxStageLen     = 256  // Secrets Manager staging labels
	minVersionIDLen = 32   // Secrets Manager VersionId
	maxVersionIDLen = 64
)

// ParameterRequest names one parameter read. The zero values of the
// optional fields mean "not given".
type ParameterRequest struct {
	// Name is the parameter's name, full path or ARN, exactly as SSM takes
	// it. It may end in a selector (":3", ":label"), which SSM resolves;
	// then Version and Label must be empty. A name under
	// /aws/reference/secretsmanager/ reads a Secrets Manager secret through
	// SSM (WithDecryption must be true; Label is then a version stage).
	Name string
	// WithDecryption decrypts a SecureString. Reads with and without it are
	// separate cache entries.
	WithDecryption bool
	// Version selects a version (1 or more). 0 means the latest.
	Version int64
	// Label selects the version that carries this label.
	Label string
	// Refresh skips the cache for this read: the value is fetched, stored
	// and returned. If the fetch fails the error is returned and the cached
	// value is kept. Refresh is not part of the cache key.
	Refresh bool
	// MaxAge, when positive, asks for a value fetched no longer than
	// MaxAge ago (Powertools' max_age): an entry older than that is
	// reloaded, as an expired one is (one shared upstream call, the stale
	// value on a failure within WithMaxStale), and a younger one is a hit.
	// It applies to a remembered not-found too,
	// never to a key backing off after failures. It only ever shortens the
	// TTL, is not part of the cache key, and does not change what is
	// stored for other reads. 0 means the TTL alone decides; negative is a
	// [*RequestError].
	MaxAge time.Duration
}

// SecretRequest names one secret read. The zero values of the optional
// fields mean "not given".
type SecretRequest struct {
	// SecretID is the secret's name or ARN, exactly as Secrets Manager
	// takes it.
	SecretID string
	// VersionID selects a version by its id.
	VersionID string
	// VersionStage selects the version that carries this staging label;
	// Secrets Manager's default is AWSCURRENT. With VersionID too, Secrets
	// Manager requires that they name the same version.
	VersionStage string
	// Refresh skips the cache for this read, as in ParameterRequest.
	Refresh bool
	// MaxAge bounds the age of the value returned, as in ParameterRequest.
	MaxAge time.Duration
}

// PathRequest names every parameter under a path, read with SSM
// GetParametersByPath (paginated).
type PathRequest struct {
	// Path is the hierarchy to read, starting with "/", for example
	// "/app/prod".
	Path string
	// Recursive reads every level below Path, not only its direct children.
	Recursive bool
	// WithDecryption decrypts SecureStrings.
	WithDecryption bool
	// Refresh skips the cache for this read, as in ParameterRequest.
	Refresh bool
	// MaxAge bounds the age of the listing returned, as in
	// ParameterRequest.
	MaxAge time.Duration
}

func (r PathRequest) validate() error {
	if err := checkName("path", r.Path, maxNameLen); err != nil {
		return err
	}
	if err := checkMaxAge(r.MaxAge); err != nil {
		return err
	}
	if r.Path[0] != '/' {
		return &RequestError{Field: "path", Rule: "must start with \"/\""}
	}
	return nil
}

// upstreamName is the Name sent to SSM: the name with the selector appended.
func upstreamName(name string, version int64, label string) string {
	switch {
	case version > 0:
		return name + ":" + strconv.FormatInt(version, 10)
	case label != "":
		return name + ":" + label
	}
	return name
}

func (r ParameterRequest) validate() error {
	if err := checkName("name", r.Name, maxNameLen); err != nil {
		return err
	}
	if err := checkMaxAge(r.MaxAge); err != nil {
		return err
	}
	if r.Version < 0 {
		return &RequestError{Field: "version", Rule: "must be a positive integer, got " + strconv.FormatInt(r.Version, 10)}
	}
	if r.Version > 0 && r.Label != "" {
		return &RequestError{Field: "version", Rule: "cannot be combined with label: give one selector"}
	}
	if _, _, has := awsname.SplitSelector(r.Name); has && (r.Version > 0 || r.Label != "") {
		return &RequestError{Field: "name", Rule: "already ends in a selector (:version or :label); do not also give version or label"}
	}
	if r.Label != "" {
		max := maxLabelLen
		if awsname.IsReference(r.Name) {
			max = maxStageLen // the label is a Secrets Manager version stage
		} else if c := r.Label[0]; c >= '0' && c <= '9' {
			return &RequestError{Field: "label", Rule: "must not start with a digit (SSM reads that as a version)"}
		}
		if err := checkName("label", r.Label, max); err != nil {
			return err
		}
	}
	return nil
}

func (r SecretRequest) validate() error {
	if err := checkName("secretId", r.SecretID, maxNameLen); err != nil {
		return err
	}
	if err := checkMaxAge(r.MaxAge); err != nil {
		return err
	}
	if r.VersionID != "" {
		if n := len(r.VersionID); n < minVersionIDLen || n > maxVersionIDLen {
			return &RequestError{Field: "versionId", Rule: "must be 32 to 64 characters, got " + strconv.Itoa(n)}
		}
		if err := checkName("versionId", r.VersionID, maxVersionIDLen); err != nil {
			return err
		}
	}
	if r.VersionStage != "" {
		if err := checkName("versionStage", r.VersionStage, maxStageLen); err != nil {
			return err
		}
	}
	return nil
}

// checkMaxAge rejects a negative MaxAge.
func checkMaxAge(d time.Duration) error {
	if d < 0 {
		return &RequestError{Field: "maxAge", Rule: "must not be negative, got " + d.String()}
	}
	return nil
}

// checkName applies the rules every identifier shares: not empty, at most
// max bytes, and text by awsname's rule (valid UTF-8 without C0, DEL or C1
// control characters).
func checkName(field, v string, max int) error {
	if v == "" {
		return &RequestError{Field: field, Rule: "must not be empty"}
	}
	if len(v) > max {
		return &RequestError{Field: field, Rule: "must be at most " + strconv.Itoa(max) + " characters, got " + strconv.Itoa(len(v))}
	}
	if err := awsname.CheckText(v); err != nil {
		var te *awsname.TextError
		if errors.As(err, &te) && te.Invalid {
			return &RequestError{Field: field, Rule: "must be valid UTF-8 (" + err.Error() + ")"}
		}
		return &RequestError{Field: field, Rule: "must not contain control characters (" + err.Error() + ")"}
	}
	return nil
}
