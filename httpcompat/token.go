package httpcompat

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// The variables [TokenFromEnv] reads, in order: the AWS Secrets Manager
// Agent's list. In a Lambda function AWS_SESSION_TOKEN is set; with
// SnapStart, whose session token changes after restore, set
// AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_TOKEN.
var tokenVariables = [...]string{"AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}

// ErrNoToken is [TokenFromEnv]'s error when none of its variables is set.
var ErrNoToken = errors.New("httpcompat: no token: set one of " + strings.Join(tokenVariables[:], ", "))

// TokenFromEnv returns the token requests must carry: the value of the first
// set (non-empty) variable among AWS_TOKEN, AWS_SESSION_TOKEN and
// AWS_CONTAINER_AUTHORIZATION_TOKEN, read through getenv (os.Getenv in
// production), with surrounding whitespace trimmed (an HTTP header value
// cannot carry it). A value "file://PATH" means the token is the content of
// that file, trimmed the same way. The error names the variable
// and the file; it never holds the token. It is [ErrNoToken] if none is
// set, and an error if the file cannot be read or is empty.
func TokenFromEnv(getenv func(string) string) (string, error) {
	if getenv == nil {
		return "", errors.New("httpcompat: TokenFromEnv needs a getenv function")
	}
	for _, name := range tokenVariables {
		v := getenv(name)
		if v == "" {
			continue
		}
		path, isFile := strings.CutPrefix(v, "file://")
		if !isFile {
			t := strings.TrimSpace(v)
			if t == "" {
				return "", fmt.Errorf("httpcompat: %s holds only whitespace", name)
			}
			return t, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is in our message already
			}
			return "", fmt.Errorf("httpcompat: %s names the token file %q, which cannot be read: %w", name, path, err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", fmt.Errorf("httpcompat: the token file %q named by %s is empty", path, name)
		}
		return t, nil
	}
	return "", ErrNoToken
}
