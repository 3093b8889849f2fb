// Package awsname is the one grammar of the names parsec sends to AWS:
// SSM parameter names and ARNs with their selectors, Secrets Manager
// secret ids (names, full and partial ARNs), the
// /aws/reference/secretsmanager/ names through which Parameter Store reads
// a secret, the canonical forms under which every spelling of one name
// meets, and the one rule for the text a name may hold.
//
// Routing (package source), validation and invalidation (package cache)
// and the HTTP front (package httpcompat) all read names here, so that "the
// same name" means one thing everywhere: a process that writes a secret by
// its ARN and reads it by its name sees its own write because both
// spellings have one canonical form, computed by one function.
//
// What AWS accepts (from the SSM and Secrets Manager API references):
//
//   - A parameter name is a name or a path ("db", "/app/db"); AWS treats
//     "db" and "/db" as one parameter. Its ARN is
//     arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME, the name without
//     its leading "/". Names contain no ':'; a read's name (or ARN) may end
//     in a selector ":VERSION" or ":LABEL".
//   - A secret id is a name or an ARN
//     arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, where
//     Secrets Manager appends "-" and six random letters or digits; the ARN
//     without them (a partial ARN) is accepted too. Secret names contain no
//     ':'.
//   - /aws/reference/secretsmanager/ID[:SELECTOR] reads the secret ID (a
//     name or an ARN) through SSM GetParameter; the selector is a version
//     id or a staging label.
//
// Every function is pure and safe for concurrent use. SplitSelector,
// ReferencedSecret, ParameterARN, SecretARN, CanonicalSecret and CheckText
// allocate nothing unless they return an error (they run on every read);
// CanonicalParameter may allocate the leading "/" of a form.
package awsname
