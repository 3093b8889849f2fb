// Command parsecd serves the HTTP API of the AWS Parameters and Secrets
// Lambda Extension (GET /systemsmanager/parameters/get, /secretsmanager/get,
// the Secrets Manager Agent's /v1/ID and /ping) on localhost (127.0.0.1 and
// ::1, one server; 127.0.0.1 alone where the machine has no IPv6, logged at
// INFO) from parsec's cache. It replaces the AWS extension as a Lambda layer, runs as a local
// daemon in front of AWS, or emulates both services from a JSON file with
// no AWS account. Run parsecd --help for the flags.
//
// # Modes
//
//   - extension (the default when AWS_LAMBDA_RUNTIME_API is set): installed
//     as /opt/extensions/parsecd. It listens first, then registers with the
//     Extensions API for SHUTDOWN only, so the function can read values
//     during its own INIT, which the AWS extension cannot. On SHUTDOWN it
//     drains requests for at most 1.5 s and exits 0 inside Lambda's 2 s
//     window. A failure before serving is reported with
//     /extension/init/error (Extension.ConfigError, Extension.NoToken,
//     Extension.ListenFailed); a lost event loop with /extension/exit/error.
//   - daemon (the default otherwise): serves until SIGINT or SIGTERM, reading
//     AWS through the SDK's default configuration (AWS_REGION, AWS_PROFILE,
//     AWS_ENDPOINT_URL, the credentials chain) with at most
//     PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS connections per service.
//   - emulate (--emulate FILE, or PARSECD_EMULATE): serves the parameters
//     and secrets of FILE through the real SDK talking to an in-process fake
//     of both services (source/sourcetest) on loopback; optional simulated
//     latency (--latency 20ms-80ms). The file is polled every second and
//     reloaded when it changes; a reloaded file starts with an empty cache,
//     and a file that no longer parses is logged while the previous version
//     keeps serving. --emulate also works in extension mode, to run a
//     function under the Runtime Interface Emulator without AWS.
//
// # Configuration
//
// The extension's environment variables, with its names, defaults and
// meaning (see cache.WithEnv); --port, --log-level and --ttl override them.
// --max-concurrent (PARSECD_MAX_CONCURRENT, default 128) bounds the requests
// served at once; beyond it parsecd answers 429. --max-open-connections
// (PARSECD_MAX_OPEN_CONNECTIONS, default 256, at most 900) bounds the open
// connections: at the limit a new connection closes one that has not sent
// a whole request within 200 ms (while all such are younger, it waits in
// the accept queue), else the keep-alive connection idle the longest, or
// is itself closed unanswered when every connection is busy; idle
// connections close after 5 s. Error replies are
// the extension's text (400 "an unexpected error occurred while executing
// request") with the AWS code in X-Amzn-Errortype and parsec's message in
// X-Parsec-Error-Message; --json-errors true (PARSECD_JSON_ERRORS=true)
// answers AWS's JSON error shape instead, for clients that check the status
// before decoding the body. A bad value is a configuration error naming the
// variable or flag.
//
// # Token
//
// Every mode requires the X-Aws-Parameters-Secrets-Token header to equal the
// first set of AWS_TOKEN, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN
// (file://PATH reads a file), or the content of --token-file. With no token
// source parsecd refuses to start; --insecure-no-token serves without the
// check, for local use only, and warns on every start.
//
// # Emulator file
//
// A JSON object with optional "region", "parameters" and "secrets":
//
//	{
//	  "parameters": [
//	    {"name": "/app/db-host", "value": "localhost"},
//	    {"name": "/app/origins", "type": "StringList", "value": ["a", "b"]},
//	    {"name": "/app/key", "type": "SecureString", "keyId": "alias/k", "value": "v"},
//	    {"name": "/app/flags", "versions": [
//	      {"value": "v1", "lastModified": "2026-01-01T00:00:00Z"},
//	      {"value": "v2", "labels": ["stable"]}
//	    ]}
//	  ],
//	  "secrets": [
//	    {"name": "app/db", "string": {"username": "app", "password": "pw"}},
//	    {"name": "app/cert", "binary": "c2VjcmV0"},
//	    {"name": "app/rotating", "versions": [
//	      {"string": "old"},
//	      {"string": "new", "versionId": "00000000-0000-4000-8000-000000000002"},
//	      {"string": "next", "stages": ["AWSPENDING"]}
//	    ]}
//	  ]
//	}
//
// A parameter has "name", optional "type" (String, StringList,
// SecureString), "dataType" and "keyId", and either one version ("value",
// "labels", "lastModified") or "versions", oldest first (version 1 first).
// A secret has "name", optional "arn", and either one version ("string" or
// "binary" in base64, "versionId", "stages", "created") or "versions",
// oldest first; "string" may be a JSON object, stored compact. Stages
// default to AWSCURRENT, and the version that loses AWSCURRENT gets
// AWSPREVIOUS, as in AWS. An invalid file is an error of the form
// FILE:LINE:COL: FIELD: MESSAGE, for example
//
//	emulate.json:7:15: parameters[2].type: must be String, StringList or SecureString, not "Str"
//
// # Metrics
//
// Off by default, each behind a switch (metrics.go): --metrics
// (PARSECD_METRICS=TRUE) serves the cache's counters as Prometheus text on
// GET /metrics (parsec_hits_total, ..., parsec_entries); --debug-route
// (PARSECD_DEBUG_ROUTE=TRUE) serves goroutines, heap and the counters as
// JSON on GET /parsec/v1/debug; both behind the same checks and token as
// the other routes, and neither ever shows a name or a value. --emf
// (PARSECD_EMF=TRUE) writes the counters as one CloudWatch embedded metric
// format line to stdout at shutdown (namespace --emf-namespace or
// PARSECD_EMF_NAMESPACE, default parsec; dimension FunctionName from
// AWS_LAMBDA_FUNCTION_NAME when set), and --emf-interval DURATION
// (PARSECD_EMF_INTERVAL) one more every DURATION while serving.
//
// # Cloud Extensions
//
// --cloud-extensions (PARSECD_CLOUD_EXTENSIONS=TRUE) also serves AWS Systems
// Manager Cloud Extensions' API (httpcompat.CloudExtensions) on 127.0.0.1
// and [::1] at port 5333 (--cloud-extensions-port), from the same cache, in
// every mode: as a Lambda extension, a daemon or container sidecar, and
// with --emulate. Requests are signed with SigV4 with the extension key,
// PARSECD_EXTENSION_KEY_ID with PARSECD_EXTENSION_KEY_SECRET or
// PARSECD_EXTENSION_KEY_SECRET_FILE (--cloud-extensions-auth extension-key,
// the default); --cloud-extensions-auth none serves unsigned requests, for
// local use. The Secrets Manager GET routes also check the SSRF token, the
// :2773 API's token, unless --insecure-no-token or
// --cloud-extensions-ssrf-token-check=false. --ping checks GET /ping of
// a running parsecd and exits 0 or 1: the health check of the container
// image (Dockerfile, a static binary in an empty image, as user 65534) and
// of deploy/ecs-task-definition.json, an ECS task running parsecd as a
// sidecar.
//
// # Exit status
//
// 0 after a clean shutdown (SHUTDOWN event, SIGINT, SIGTERM) or --help;
// 1 on a runtime failure (registration or the event loop failed); 2 on a
// usage or configuration error (unknown flag, bad variable, port in use,
// unreadable or invalid emulator file, no token source), before serving.
package main
