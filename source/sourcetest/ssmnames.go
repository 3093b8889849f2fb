package sourcetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"

	"github.com/parsec-go/parsec/internal/awsname"
)

// Limits of Parameter Store, from the AWS documentation ("Parameter Store
// quotas", "Creating parameters").
const (
	maxNameLen       = 2048 // the API's constraint on Name
	maxQualifiedName = 1011 // the ARN prefix plus the name, for names that are created
	maxLevels        = 15   // hierarchy levels
	maxStandardValue = 4096 // bytes, Standard tier
	maxAdvancedValue = 8192 // bytes, Advanced tier
	maxVersions      = 100  // versions kept per parameter
	maxLabelsPerVer  = 10
	maxLabelLen      = 100
	referencePrefix  = awsname.ReferencePrefix
)

const badNameMessage = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). ` +
	`If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be ` +
	`formed as a mix of letters, numbers and the following 3 symbols .-_`

// paramKey returns the key a parameter is stored under: AWS treats "name"
// and "/name" (one level) as the same parameter.
func paramKey(name string) string {
	if t, ok := strings.CutPrefix(name, "/"); ok && !strings.Contains(t, "/") {
		return t
	}
	return name
}

// validName checks a parameter name for a write. reserved allows the
// prefixes aws and ssm, which only AWS itself may use (seeding may).
func (s *Server) validName(name string, reserved bool) *apiError {
	switch {
	case name == "":
		return errorf("ValidationException", "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	case len(name) > maxNameLen:
		return errorf("ValidationException", "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to %d.", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return errorf("ValidationException", "%s", badNameMessage)
		}
	}
	if strings.Contains(name, "/") && (!strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//")) {
		return errorf("ValidationException", "Parameter name must be a fully qualified name.")
	}
	if !reserved {
		low := strings.ToLower(strings.TrimPrefix(name, "/"))
		if strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
			if strings.HasPrefix(strings.ToLower(name), "/aws/") {
				return errorf("AccessDeniedException", "No access to reserved parameter name: %s.", name)
			}
			return errorf("ValidationException", `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`)
		}
	}
	if strings.Count(name, "/") > maxLevels {
		return errorf("HierarchyLevelLimitExceededException", "A parameter name hierarchy can have a maximum of %d levels.", maxLevels)
	}
	if len(s.paramARN(name)) > maxQualifiedName {
		return errorf("ValidationException", "Parameter name must not exceed %d characters including the ARN prefix %s.", maxQualifiedName, s.paramARNPrefix())
	}
	return nil
}

// paramARNPrefix returns "arn:aws:ssm:REGION:ACCOUNT:parameter/".
func (s *Server) paramARNPrefix() string {
	return "arn:aws:ssm:" + s.cfg.region + ":" + s.cfg.account + ":parameter/"
}

// paramARN returns the ARN of the parameter name.
func (s *Server) paramARN(name string) string {
	return s.paramARNPrefix() + strings.TrimPrefix(name, "/")
}

// splitSelector splits "name:3" or "name:Dev" (or an ARN with a selector)
// into the name and the selector. ok reports whether there was a selector.
func splitSelector(name string) (base, sel string, ok bool) {
	start := 0
	if strings.HasPrefix(name, "arn:") {
		i := strings.Index(name, ":parameter/")
		if i < 0 {
			return name, "", false
		}
		start = i + len(":parameter/")
	}
	i := strings.IndexByte(name[start:], ':')
	if i < 0 {
		return name, "", false
	}
	return name[:start+i], name[start+i+1:], true
}

// nameFromARN returns the parameter name in an ARN of this server's region
// and account, or name itself when it is not an ARN.
func (s *Server) nameFromARN(name string) (string, bool) {
	if !strings.HasPrefix(name, "arn:") {
		return name, true
	}
	rest, ok := strings.CutPrefix(name, s.paramARNPrefix())
	if !ok || rest == "" {
		return "", false
	}
	if strings.Contains(rest, "/") {
		return "/" + rest, true
	}
	return rest, true
}

// isDigits reports whether sel is a version number selector.
func isDigits(sel string) bool {
	if sel == "" {
		return false
	}
	for i := 0; i < len(sel); i++ {
		if sel[i] < '0' || sel[i] > '9' {
			return false
		}
	}
	return true
}

// validLabel reports whether AWS accepts label on a parameter version:
// 1–100 letters, digits, '.', '-', '_'; not starting with a digit or with
// "aws" or "ssm" (case-insensitive).
func validLabel(label string) bool {
	if label == "" || len(label) > maxLabelLen || label[0] >= '0' && label[0] <= '9' {
		return false
	}
	low := strings.ToLower(label)
	if strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
		return false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// ciphertext returns a deterministic stand-in for the KMS ciphertext of a
// SecureString version: base64 that starts "AQICAH" like a real KMS blob, is
// a little longer than the plaintext, and does not contain it (always for
// plaintexts of four bytes or more; a shorter one may appear by chance in
// any base64 text).
func (s *Server) ciphertext(name string, version int64, keyID, plain string) string {
	for salt := uint64(0); ; salt++ {
		blob := []byte{0x01, 0x02, 0x02, 0x00, 0x78}
		seed := sha256.New()
		for _, p := range []string{s.cfg.account, s.cfg.region, name, keyID, plain} {
			seed.Write([]byte(p))
			seed.Write([]byte{0})
		}
		var n [16]byte
		binary.BigEndian.PutUint64(n[:8], uint64(version))
		binary.BigEndian.PutUint64(n[8:], salt)
		seed.Write(n[:])
		key := seed.Sum(nil)
		for ctr := uint32(0); len(blob) < 96+len(plain); ctr++ {
			var c [4]byte
			binary.BigEndian.PutUint32(c[:], ctr)
			h := sha256.Sum256(append(key, c[:]...))
			blob = append(blob, h[:]...)
		}
		out := base64.StdEncoding.EncodeToString(blob[:96+len(plain)])
		if len(plain) < 4 || !strings.Contains(out, plain) || salt > 64 {
			return out
		}
	}
}
