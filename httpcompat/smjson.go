package httpcompat

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/cache"
)

// maxBatchSecrets bounds SecretIdList of BatchGetSecretValue, as Secrets
// Manager does.
const maxBatchSecrets = 20

// secretsManagerProtocol is POST /secretsmanager, Secrets Manager's own
// protocol, which Cloud Extensions does not serve: an SDK's Secrets
// Manager client given the endpoint reads through the cache.
var secretsManagerProtocol = &json11Protocol{
	route:   routeSecretsManager,
	service: "secretsmanager",
	prefix:  "secretsmanager.",
	skew:    secretsManagerSkew,
	ops: map[string]json11Op{
		"GetSecretValue":      (*CloudExtensions).getSecretValue,
		"BatchGetSecretValue": (*CloudExtensions).batchGetSecretValue,
	},
	upperMessage: map[string]bool{},
	errors:       smUpstreamCode,
	// As the Secrets Manager extension's routes answer a refused
	// signature.
	auth: smAuthStatus,
}

// smUpstreamCode maps a read's error to Secrets Manager's status and code.
func smUpstreamCode(err error) (int, string) {
	return upstreamCode(err, "ResourceNotFoundException", "InvalidRequestException", "ThrottlingException", "InternalServiceError")
}

// smAuthStatus maps a refused signature to the Secrets Manager
// extension's status and error type.
func smAuthStatus(reason string) (int, string) {
	switch reason {
	case reasonMissing:
		return http.StatusUnauthorized, "MissingAuthenticationToken"
	case reasonUnknown:
		return http.StatusForbidden, "InvalidClientTokenId"
	}
	return http.StatusForbidden, "SignatureDoesNotMatch"
}

// smSecret is Secrets Manager's secret value shape on the wire.
type smSecret struct {
	ARN           string        `json:"ARN,omitempty"`
	CreatedDate   *epochSeconds `json:"CreatedDate,omitempty"`
	Name          string        `json:"Name,omitempty"`
	SecretBinary  []byte        `json:"SecretBinary,omitempty"` // base64, as JSON 1.1 encodes blobs
	SecretString  *string       `json:"SecretString,omitempty"`
	VersionID     string        `json:"VersionId,omitempty"`
	VersionStages []string      `json:"VersionStages,omitempty"`
}

func wireSecret(s cache.Secret) smSecret {
	o := s.Output()
	return smSecret{
		ARN: aws.ToString(o.ARN), CreatedDate: epochOf(o.CreatedDate), Name: aws.ToString(o.Name),
		SecretBinary: o.SecretBinary, SecretString: o.SecretString, VersionID: aws.ToString(o.VersionId),
		VersionStages: o.VersionStages,
	}
}

func (h *CloudExtensions) getSecretValue(ctx context.Context, body []byte) (any, error) {
	var in struct {
		SecretId     *string
		VersionId    *string
		VersionStage *string
	}
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	if aws.ToString(in.SecretId) == "" {
		return nil, validation("SecretId: is required and must not be empty")
	}
	s, err := h.cache.Secret(ctx, cache.SecretRequest{SecretID: *in.SecretId, VersionID: aws.ToString(in.VersionId), VersionStage: aws.ToString(in.VersionStage)})
	if err != nil {
		return nil, err
	}
	return wireSecret(s), nil
}

func (h *CloudExtensions) batchGetSecretValue(ctx context.Context, body []byte) (any, error) {
	var in struct {
		SecretIdList []string
		Filters      []struct{ Key string }
		NextToken    *string
	}
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	if len(in.Filters) > 0 || in.NextToken != nil {
		return nil, validation("Filters, NextToken: not supported by parsec; give SecretIdList")
	}
	if len(in.SecretIdList) == 0 || len(in.SecretIdList) > maxBatchSecrets {
		return nil, validation("SecretIdList: must hold from 1 to %d ids", maxBatchSecrets)
	}
	reqs := make([]cache.SecretRequest, len(in.SecretIdList))
	for i, id := range in.SecretIdList {
		if id == "" {
			return nil, validation("SecretIdList[%s]: must not be empty", strconv.Itoa(i))
		}
		reqs[i] = cache.SecretRequest{SecretID: id}
	}
	ss, err := h.cache.Secrets(ctx, reqs)
	type apiError struct {
		ErrorCode string
		Message   string
		SecretId  string
	}
	out := struct {
		Errors       []apiError
		SecretValues []smSecret
	}{Errors: []apiError{}, SecretValues: make([]smSecret, 0, len(reqs))}
	failed := map[int]bool{}
	if err != nil {
		var be *cache.BatchError
		if !errors.As(err, &be) {
			return nil, err
		}
		for _, it := range be.Items {
			_, code := smUpstreamCode(it.Err)
			failed[it.Index] = true
			out.Errors = append(out.Errors, apiError{ErrorCode: code, Message: "service returned " + code, SecretId: it.Name})
		}
	}
	for i := range reqs {
		if !failed[i] {
			out.SecretValues = append(out.SecretValues, wireSecret(ss[i]))
		}
	}
	return out, nil
}
