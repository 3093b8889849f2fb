package sourcetest

import (
	"encoding/base64"
	"errors"
	"time"
)

// recordedCiphertext is what the real extension returned for version 1 of
// /lambda-ext-test-param/dummy-secure-string read without decryption.
const recordedCiphertext = "AQICAHi8ZBkII2m75zRZu97F0LZqN4bUJnuTssowKANvGx9x5gH09DCE2tK7vF7rnVxEGLzpAAAAdDByBgkqhkiG9w0BBwagZTBjAgEAMF4GCSqGSIb3DQEHATAeBglghkgBZQMEAS4wEQQMmaan248amrNDs74HAgEQgDHVB0HGmw+RtVmNbkIF5g5wxrJuNf94D79AB4N3Vcnf1FDomJJtkqHMJdrVAZKmcwxp"

// SeedRecorded seeds s with the parameters and secrets behind the responses
// of the AWS Parameters and Secrets Lambda Extension recorded against real
// AWS on 2022-11-16 (testdata/extension-recorded-responses.json in the
// project's shared data): /lambda-ext-test-param/dummy-string,
// dummy-string-list, dummy-secure-string (version 1 labelled Dev, with the
// recorded ciphertext, and version 2), and the secrets dummy-string-secret
// and dummy-binary-secret (AWSPREVIOUS and AWSCURRENT versions), with their
// recorded ARNs, version ids and dates. Each recorded success response is
// then reproduced byte for byte by json.Marshal of the SDK's output. It
// needs the default region and account (us-east-1, 123456789012), which the
// ARNs hold, and fails otherwise or if a name is already taken.
func SeedRecorded(s *Server) error {
	if s.cfg.region != "us-east-1" || s.cfg.account != "123456789012" {
		return errors.New("sourcetest: SeedRecorded needs region us-east-1 and account 123456789012")
	}
	at := func(v string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			panic(err) // constants below
		}
		return t
	}
	bin := func(v string) []byte {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			panic(err)
		}
		return b
	}
	str := func(v string) *string { return &v }
	const dir = "/lambda-ext-test-param/"
	params := []Parameter{
		{Name: dir + "dummy-string", Value: "my-string-param-value", LastModified: at("2022-11-16T08:22:40.362Z")},
		{Name: dir + "dummy-string-list", Type: "StringList", Value: "listval-0,listval-1,listval-2", LastModified: at("2022-11-16T08:22:40.089Z")},
		{Name: dir + "dummy-secure-string", Type: "SecureString", Value: "my-secure-string-value", Ciphertext: recordedCiphertext, LastModified: at("2022-11-16T08:24:05.374Z"), Labels: []string{"Dev"}},
		{Name: dir + "dummy-secure-string", Type: "SecureString", Value: "my-secure-string-value - 2022-11-16T08:24:05.476Z", LastModified: at("2022-11-16T08:24:05.571Z")},
	}
	for _, p := range params {
		if _, err := s.PutParameter(p); err != nil {
			return err
		}
	}
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	if _, err := s.CreateSecret(
		Secret{Name: "dummy-string-secret", ARN: arn + "dummy-string-secret-MFUBmH", Created: at("2022-11-16T08:22:40.499Z")},
		SecretVersion{String: str("an-insecure-string-secret-value"), VersionID: "b1c367b9-7f53-4a47-82c4-be51a054b953", Created: at("2022-11-16T08:22:40.499Z")},
	); err != nil {
		return err
	}
	if _, err := s.CreateSecret(
		Secret{Name: "dummy-binary-secret", ARN: arn + "dummy-binary-secret-yTDWrV", Created: at("2022-11-16T08:24:07.032Z")},
		SecretVersion{Binary: bin("YSBzdHJpbmcgc2VjcmV0IHZhbHVlIHRvIGJlIHNhdmVkIGFzIGJpbmFyeQ=="), VersionID: "fdfc9fe2-e172-498e-b306-ad660c887b7a", Created: at("2022-11-16T08:24:07.032Z")},
	); err != nil {
		return err
	}
	_, err := s.PutSecretValue("dummy-binary-secret", SecretVersion{
		Binary:    bin("YSBzdHJpbmcgc2VjcmV0IHZhbHVlIHRvIGJlIHNhdmVkIGFzIGJpbmFyeSB1cGRhdGVkVmVyc2lvbiE="),
		VersionID: "5ce2760a-2802-4c73-bd99-63d49ab6b5ef",
		Created:   at("2022-11-16T08:24:07.213Z"),
	})
	return err
}
