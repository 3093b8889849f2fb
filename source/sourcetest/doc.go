// Package sourcetest is a wire-level fake of AWS Systems Manager Parameter
// Store and AWS Secrets Manager for tests, in the manner of net/http/httptest.
//
// A [Server] speaks AWS JSON 1.1 (X-Amz-Target AmazonSSM.* and
// secretsmanager.*) on 127.0.0.1, so the real SDK clients talk to it over
// real HTTP: [Server.SSM], [Server.SecretsManager] and [Server.Clients] build
// them from [Server.Config]. [NewServer] starts it; the caller must call
// [Server.Close], which ends every pending call and waits for it.
//
// # In memory, and inside a synctest bubble
//
// A bubble of testing/synctest cannot use real network. [NewInMemory]
// returns a server with no listener, whose [Server.Config] (and so
// [Server.Clients], [Server.SSM], [Server.SecretsManager]) gives the real
// SDK clients an HTTP transport that calls the server's handler directly,
// on the caller's goroutine: no socket, no goroutine. Create it inside the
// bubble; injected latency ([WithLatency], [Fault].Latency) then runs on the
// bubble's fake clock. Any server, started or not, also gives such clients
// through [Server.InMemoryConfig] and [Server.InMemoryClients].
//
// The in-memory transport keeps the faults' meaning: the handler sees the
// caller's context, so a Hang or a delay ends when that context ends and
// the call returns the context's error; Reset returns a transport error
// wrapping syscall.ECONNRESET with no HTTP response; while the server is
// down ([Server.SetDown]) or after Close, calls fail with a transport error
// wrapping syscall.ECONNREFUSED and are not counted. Close ends hanging and
// delayed in-memory calls and waits for them, as for network calls.
//
// # Contract
//
//   - Operations: SSM GetParameter (name or ARN, with a ":version" or
//     ":label" selector), GetParameters (1–10 names; unknown names and
//     versions in InvalidParameters, results in request order),
//     GetParametersByPath (Recursive, WithDecryption, MaxResults ≤ 10,
//     NextToken; results sorted by name), PutParameter, LabelParameterVersion,
//     DeleteParameter; Secrets Manager GetSecretValue (name, ARN or partial
//     ARN; VersionId and VersionStage, which must agree), DescribeSecret
//     (with the rotation fields of [Server.SetRotation]),
//     BatchGetSecretValue (SecretIdList, or Filters with the key "name"),
//     CreateSecret, PutSecretValue, UpdateSecretVersionStage, DeleteSecret.
//     Any other target gets UnknownOperationException.
//   - Behaviour follows AWS where it differs from moto: responses carry
//     Selector; a SecureString read without decryption returns an opaque
//     ciphertext, never the plaintext; name rules (characters a-zA-Z0-9_.-/,
//     fully qualified paths, 15 levels, 1011 characters with the ARN prefix,
//     the reserved prefixes aws and ssm) and value limits (4 KB Standard,
//     8 KB Advanced) are enforced on writes; at most 100 versions are kept;
//     labels move between versions; AWSCURRENT moves give AWSPREVIOUS to the
//     former holder; errors have AWS's codes and statuses
//     (ResourceNotFoundException is 400, not moto's 404; malformed JSON or a
//     wrong type is SerializationException).
//   - /aws/reference/secretsmanager/SECRET-ID[:SELECTOR] through GetParameter
//     requires WithDecryption and answers like Parameter Store: Name is the
//     full reference name, Type SecureString, Version 0, no DataType, ARN the
//     secret's, LastModifiedDate the version's CreatedDate, and SourceResult
//     the secret version as Gson renders it. The selector is a VersionId if
//     a version has that id, otherwise a staging label (as moto does). A
//     binary secret gives no Value (null), as real SSM does, and its bytes
//     in SourceResult's "secretBinary", a Java ByteBuffer as Gson renders it
//     ("hb": the bytes, signed; see cache.Parameter.Bytes). Anything missing
//     gives ParameterNotFound.
//   - Responses have Content-Type application/x-amz-json-1.1 and an
//     x-amzn-RequestId header; errors the body {"__type":CODE,"message":...}.
//     Timestamps are epoch seconds with three decimals, so dates round-trip
//     through the SDK to the millisecond; times given to the seeding methods
//     are kept to the millisecond.
//   - Seeding ([Server.PutParameter], [Server.CreateSecret], …) needs no SDK
//     and may run while the server serves; [SeedRecorded] reproduces the
//     values behind the extension's recorded responses.
//   - Faults ([Server.Inject], [Server.SetDown]) and counters
//     ([Server.Calls], [Server.CallsFor]) apply per operation and name.
//   - Determinism: generated ARN suffixes, version ids, ciphertexts, request
//     ids and random latencies depend only on the inputs and the order of
//     calls, never on a random source.
//   - Every method of [Server] is safe for concurrent use. A request never
//     panics the server: a panic becomes an InternalServerError response.
//
// Not supported: KMS key checks, tags, policies, ParameterFilters, running
// rotations (a test moves the stages: [Server.FinishRotation]),
// replication, and IAM: every caller may do everything.
package sourcetest
