// Package httpcompat serves the HTTP API of the AWS Parameters and Secrets
// Lambda Extension (localhost:2773) from parsec's in-process [cache.Cache],
// so code written for the extension (the seed article's axios client, curl,
// Python's urllib) keeps working unchanged while the values come from the
// function's own memory.
//
// # Guarantee
//
// A 200 body is byte for byte what the extension sends: json.Marshal of the
// AWS SDK for Go v2 output struct (ssm.GetParameterOutput,
// secretsmanager.GetSecretValueOutput), with no trailing newline. So is every
// error reply the extension is known to send, by default: an upstream error
// is 400 with the text "an unexpected error occurred while executing
// request", a missing or wrong token 401 "bad session token or header key",
// both Content-Type text/plain. A request without the right token never gets
// a value. No error body, error header or log record holds a value or the
// token.
//
// # Routes
//
//	GET /systemsmanager/parameters/get[/]  name, withDecryption, version, label, refreshNow, maxAgeSeconds
//	GET /secretsmanager/get[/]             secretId, versionId, versionStage, refreshNow, maxAgeSeconds
//	GET /v1/{secretId}                     versionId, versionStage, refreshNow, maxAgeSeconds (the Secrets Manager Agent's)
//	GET /ping                              "healthy", no token needed
//	GET /parsec/v1/parameters              name (1–100 times), withDecryption, maxAgeSeconds: parsec's addition
//
// Every route but /ping needs the token in X-Aws-Parameters-Secrets-Token or
// X-Vault-Token (header names in any case), compared in constant time with
// the value given to [WithToken], usually from [TokenFromEnv]. The token is
// checked before the route, so an unknown path without a token is 401.
//
// GET /parsec/v1/parameters is parsec's own route, outside the extension's
// paths so no extension client can reach it by accident: several parameters
// in one request, fetched with SSM GetParameters (ten names per call) and
// cached under the keys single reads use. It answers with the JSON of
// ssm.GetParametersOutput: Parameters in request order (a repeated name
// once), InvalidParameters the names that do not exist. Any other failure of
// an item fails the whole request with that item's status.
//
// # Decisions where the extension is silent or where parsec differs
//
//   - Boolean parameters (withDecryption, refreshNow) take true, false, 1 or
//     0 in any case; version a positive decimal integer (for a name under
//     /aws/reference/secretsmanager/, any other version is a secret's
//     version id, sent as a selector). An optional parameter given empty
//     ("version=") counts as not given.
//   - maxAgeSeconds is parsec's addition (the extension has no such
//     parameter, so a client that sends it works only against parsec): the
//     read wants a value fetched at most that many seconds ago, the
//     [cache.ParameterRequest] MaxAge. A cached value older than that is
//     reloaded through one shared upstream call (as an expired one is, the
//     value in memory is served if the reload fails or outlasts the
//     cache's stale wait), a younger one is served; it never lengthens the
//     TTL. The value is a
//     decimal number of seconds, digits only, from 0 to 31536000 (one
//     year); 0 asks for a value fetched after the request arrived (MaxAge
//     one nanosecond, as MaxAge 0 means no bound). Unlike other optional
//     parameters an empty value is not "not given": it, a sign, a fraction,
//     a unit, a larger number or the parameter twice is a 400 naming
//     maxAgeSeconds and the rule. On /parsec/v1/parameters it applies to
//     every name. Without it, replies are the extension's.
//   - version and label together: the one that comes first in the raw query
//     wins and the other is ignored, as in the extension. versionId and
//     versionStage together are both sent; Secrets Manager requires them to
//     name the same version.
//   - An unknown or repeated query parameter, an invalid percent-encoding,
//     invalid UTF-8 or a control character is a 400 naming the parameter.
//     Query parameter names are case-sensitive.
//   - The token is compared exactly with the header's field value, which
//     HTTP defines without surrounding whitespace: a value that still
//     carries whitespace is refused. Several token headers must all match.
//   - Error bodies are the extension's; the detail is in two headers the
//     extension does not send (its 401 carries the first): [ErrorTypeHeader]
//     (X-Amzn-Errortype) with the AWS error code and [ErrorMessageHeader]
//     (X-Parsec-Error-Message) with the operation, the name and AWS's
//     message. Clients exist that decode any body into the SDK's output type
//     without looking at the status; the extension's text makes them fail,
//     where a JSON error would decode into an empty success. [WithJSONErrors]
//     opts in to AWS's JSON error shape {"__type":"ParameterNotFound",
//     "message":"..."} (application/json) for every reply but the 401.
//   - Statuses parsec adds, each with a fixed text/plain sentence (JSON with
//     WithJSONErrors): throttling 429, an unreachable or failing upstream
//     502, a timeout 504 ("the upstream call timed out"), a closed cache
//     503, no upstream client 501. The request's own rejection is 400 with
//     the parameter and the rule as the body; a value the extension would
//     have sent to AWS for AWS to refuse (a version that is not a positive
//     integer, /aws/reference/secretsmanager/ without withDecryption=true)
//     gets the extension's 400 text, without an upstream call.
//   - Hardening beyond the extension: X-Forwarded-For is refused (400), a
//     Host other than localhost, 127.0.0.1 or [::1] (with a port from 1 to
//     65535 or none) is refused (403: DNS rebinding), methods other than GET
//     get 405 with Allow: GET, unknown routes 404. [Listen] and
//     [ListenLocalhost] bind loopback only (ListenLocalhost and [Start] both
//     127.0.0.1 and ::1, so localhost works whichever it resolves to first),
//     limit header size and time, close idle keep-alive connections after
//     [DefaultIdleTimeout], keep at most [WithMaxOpenConnections]
//     connections open (closing to make room, first, a connection that has
//     not sent a whole request within [DefaultFirstRequestTimeout], then
//     the longest-idle one) and answer
//     429 beyond [WithMaxConcurrent] requests in progress.
//   - There is no "not ready" 400 during INIT: the handler serves from the
//     moment [Listen] returns.
//
// # Cloud Extensions
//
// [CloudExtensions] serves the API of AWS Systems Manager Cloud Extensions
// (localhost:5333, [CloudExtensionsAPIVersion]) from the same cache: POST
// /parameterstore in SSM's own AWS JSON 1.1 protocol (GetParameter,
// GetParameters and, beyond Cloud Extensions, GetParametersByPath), the
// Secrets Manager extension's GET /secretsmanager/get?secretId=ID,
// /secretsmanager/ID and /v1/ID, and, beyond it, POST /secretsmanager in
// Secrets Manager's protocol (GetSecretValue, BatchGetSecretValue). So an
// AWS SDK's SSM or Secrets Manager client, or the AWS CLI, reads through
// the cache when given the endpoint and the extension key as credentials.
// Signatures are checked with the AWS SDK's own SigV4 signer over the
// canonical request rebuilt from the headers the client signed
// (sigv4.go); errors have each extension's shape (json11.go,
// smroutes.go). Its answers, byte for byte, are in
// testdata/cloudext-golden.json; docs/cloud-extensions.md compares it with
// Cloud Extensions.
//
// # Use
//
// In a Go function, [Start] is one line of init: it reads the extension's
// environment variables and serves on localhost:2773 (127.0.0.1 and ::1).
// [NewHandler], [ListenLocalhost] and [Listen] are the parts, for
// cmd/parsecd or a test.
package httpcompat
