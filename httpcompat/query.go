package httpcompat

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/awsname"
)

// Rules for query values, shared by every route. They are what the 400
// bodies say.
const (
	ruleBool     = "must be true, false, 1 or 0 (any case)"
	ruleVersion  = "must be a positive integer"
	ruleMaxAge   = "must be a whole number of seconds from 0 to 31536000 (one year), digits only"
	ruleRequired = "is required and must not be empty"
	ruleUnknown  = "is not a query parameter of this route"
	ruleDup      = "must be given at most once"
	ruleEncoding = "has an invalid percent-encoding (a % must be followed by two hex digits)"
	ruleUTF8     = "must be valid UTF-8"
	ruleControl  = "must not contain control characters"
	// ruleQuestionMark: a second '?' in a URL where '&' was meant.
	ruleQuestionMark = `must not contain "?", which no parameter or secret name can hold; separate query parameters with "&"`
)

// maxAgeSeconds is parsec's query parameter for a read's maximum age (the
// extension has none); maxAgeLimit is its largest value, one year.
const (
	maxAgeSeconds = "maxAgeSeconds"
	maxAgeLimit   = 365 * 24 * 60 * 60
)

// param is one decoded query parameter, in the order it came.
type param struct {
	key, value string
}

// requestError is a request rejected before the cache is asked: which query
// parameter (or header) broke which rule. Its message is sent to the client;
// it names the parameter and may quote a short, non-secret value.
type requestError struct {
	field string
	rule  string
	// upstream marks a request the extension would send to AWS and fail
	// with AWS's error: it is answered with the extension's 400 text, the
	// message going in the headers only.
	upstream bool
}

// errReferenceNeedsDecryption refuses a read of /aws/reference/secretsmanager/
// without withDecryption=true, which SSM refuses with a ValidationException
// (the extension then answers its 400 text): answered locally, without an
// upstream call.
var errReferenceNeedsDecryption = &requestError{field: "withDecryption",
	rule: "must be true to read a Secrets Manager secret through " + awsname.ReferencePrefix, upstream: true}

func (e *requestError) Error() string { return e.field + ": " + e.rule }

// parseQuery splits a raw query string at '&' and decodes each key and value
// ('+' is a space, %XX a byte), keeping their order, which url.ParseQuery
// loses. Empty pieces ("a=1&&b=2") are skipped; a piece without '=' has an
// empty value. Invalid percent-encodings, invalid UTF-8 and control
// characters are errors naming the parameter.
func parseQuery(raw string) ([]param, error) {
	if raw == "" {
		return nil, nil
	}
	var out []param
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(piece, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, &requestError{field: "query parameter " + quote(rawKey), rule: "name " + ruleEncoding}
		}
		if err := checkText("query parameter "+quote(key), key); err != nil {
			return nil, err
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, &requestError{field: key, rule: ruleEncoding}
		}
		if err := checkText(key, value); err != nil {
			return nil, err
		}
		out = append(out, param{key: key, value: value})
	}
	return out, nil
}

// checkText rejects invalid UTF-8 and control characters (awsname's text
// rule), which no AWS name may hold and which would garble a JSON error
// body or a log line. Invalid UTF-8 anywhere is reported first.
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return &requestError{field: field, rule: ruleUTF8}
	}
	if awsname.CheckText(v) != nil {
		return &requestError{field: field, rule: ruleControl}
	}
	return nil
}

// query is the parameters of one route, looked up by name: every key must
// be one of allowed, and none may repeat.
type query struct {
	params []param
}

func newQuery(params []param, allowed ...string) (query, error) {
	for i, p := range params {
		known := false
		for _, a := range allowed {
			if p.key == a {
				known = true
				break
			}
		}
		if !known {
			return query{}, &requestError{field: "query parameter " + quote(p.key), rule: ruleUnknown + " (allowed: " + strings.Join(allowed, ", ") + ")"}
		}
		for _, q := range params[:i] {
			if q.key == p.key {
				return query{}, &requestError{field: p.key, rule: ruleDup}
			}
		}
	}
	return query{params: params}, nil
}

// get returns the value of key and its position; "" and -1 when absent.
func (q query) get(key string) (string, int) {
	for i, p := range q.params {
		if p.key == key {
			return p.value, i
		}
	}
	return "", -1
}

// boolean parses true/false/1/0 in any case; absent or empty is false.
func (q query) boolean(key string) (bool, error) {
	v, _ := q.get(key)
	switch {
	case v == "" || v == "0" || strings.EqualFold(v, "false"):
		return false, nil
	case v == "1" || strings.EqualFold(v, "true"):
		return true, nil
	}
	return false, &requestError{field: key, rule: ruleBool + ", got " + quote(v)}
}

// required returns key's value or an error naming it.
func (q query) required(key string) (string, error) {
	v, _ := q.get(key)
	if v == "" {
		return "", &requestError{field: key, rule: ruleRequired}
	}
	return v, nil
}

// name returns key's value, a parameter's name or a secret's id: required,
// and without '?', which no AWS name can hold and which is a second '?' in
// the URL where '&' was meant: "?name=a?version=2" is refused here, naming
// the fix, rather than sent upstream as the name "a?version=2".
func (q query) name(key string) (string, error) {
	v, err := q.required(key)
	if err != nil {
		return "", err
	}
	return v, noQuestionMark(key, v)
}

func noQuestionMark(key, v string) error {
	i := strings.IndexByte(v, '?')
	if i < 0 {
		return nil
	}
	return &requestError{field: key, rule: ruleQuestionMark + ": did you mean " + quote("&"+v[i+1:]) + "?"}
}

// maxAge parses maxAgeSeconds into a cache read's MaxAge: absent is 0 (the
// TTL alone decides); N from 1 to maxAgeLimit is N seconds; 0 is one
// nanosecond, which asks for a value fetched after the request arrived
// (MaxAge 0 would mean no bound). Any other value, the empty one included,
// is an error naming the parameter and the rule.
func (q query) maxAge() (time.Duration, error) {
	v, i := q.get(maxAgeSeconds)
	if i < 0 {
		return 0, nil
	}
	n, ok := decimal(v)
	if !ok || n > maxAgeLimit {
		return 0, &requestError{field: maxAgeSeconds, rule: ruleMaxAge + ", got " + quote(v)}
	}
	if n == 0 {
		return time.Nanosecond, nil
	}
	return time.Duration(n) * time.Second, nil
}

// decimal parses a decimal integer: digits only, no sign, at most an int64.
func decimal(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// positive parses a positive decimal integer: digits only, no sign.
func positive(v string) (int64, bool) {
	n, ok := decimal(v)
	return n, ok && n > 0
}

// parameterQuery turns the query of GET /systemsmanager/parameters/get into
// a cache request. Of version and label, the one that comes first in the
// query is used and the other ignored, as the extension does. For a name
// under /aws/reference/secretsmanager/, version is a Secrets Manager version
// id and is sent to SSM as a selector in the name.
func parameterQuery(params []param) (cache.ParameterRequest, error) {
	q, err := newQuery(params, "name", "withDecryption", "version", "label", "refreshNow", maxAgeSeconds)
	if err != nil {
		return cache.ParameterRequest{}, err
	}
	var req cache.ParameterRequest
	if req.Name, err = q.name("name"); err != nil {
		return req, err
	}
	if req.WithDecryption, err = q.boolean("withDecryption"); err != nil {
		return req, err
	}
	if req.Refresh, err = q.boolean("refreshNow"); err != nil {
		return req, err
	}
	if req.MaxAge, err = q.maxAge(); err != nil {
		return req, err
	}
	if awsname.IsReference(req.Name) && !req.WithDecryption {
		return req, errReferenceNeedsDecryption
	}
	return req, q.selector(&req)
}

// selector sets req's version or label: of the two, the one that comes
// first in the query.
func (q query) selector(req *cache.ParameterRequest) error {
	version, vi := q.get("version")
	label, li := q.get("label")
	if version == "" {
		vi = -1
	}
	if label == "" {
		li = -1
	}
	switch {
	case vi >= 0 && (li < 0 || vi < li):
		n, ok := positive(version)
		switch {
		case ok:
			req.Version = n
		case awsname.IsReference(req.Name):
			req.Name += ":" + version // a secret's version id
		default:
			// The extension sends it to SSM, which refuses it: answer as
			// the extension then does.
			return &requestError{field: "version", rule: ruleVersion + ", got " + quote(version), upstream: true}
		}
	case li >= 0:
		req.Label = label
	}
	return nil
}

// secretQuery turns the query of GET /secretsmanager/get into a cache
// request. With id != "" (the /v1/{secretId} route) secretId is not a query
// parameter.
func secretQuery(params []param, id string) (cache.SecretRequest, error) {
	allowed := []string{"secretId", "versionId", "versionStage", "refreshNow", maxAgeSeconds}
	if id != "" {
		allowed = allowed[1:]
	}
	q, err := newQuery(params, allowed...)
	if err != nil {
		return cache.SecretRequest{}, err
	}
	req := cache.SecretRequest{SecretID: id}
	if id == "" {
		if req.SecretID, err = q.name("secretId"); err != nil {
			return req, err
		}
	}
	req.VersionID, _ = q.get("versionId")
	req.VersionStage, _ = q.get("versionStage")
	if req.Refresh, err = q.boolean("refreshNow"); err != nil {
		return req, err
	}
	if req.MaxAge, err = q.maxAge(); err != nil {
		return req, err
	}
	return req, nil
}

// quote quotes s for an error message, cut to 64 bytes so that a huge
// parameter cannot blow up a response.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
