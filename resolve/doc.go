// Package resolve is configuration by reference: environment variables,
// struct fields and live values that name an SSM parameter or a Secrets
// Manager secret instead of holding its value, resolved through parsec's
// cache, so that resolution gets the cache's batching, coalescing,
// refresh-ahead, stale-on-error and invalidation.
//
//	env, err := resolve.Env(ctx, c, os.Environ())        // map[string]string
//	err := resolve.Load(ctx, c, &cfg)                     // `parsec:"ssm:/app/db-host,required"`
//	limit, err := resolve.Watch[int](ctx, c, "ssm:/app/limit") // limit.Get(), limit.OnChange(…)
//
// or, with no code at all, import _ "github.com/parsec-go/parsec/resolve/autoenv".
//
// # Grammar
//
// One function, [Parse], reads every form. A value that is not a
// reference is left alone; one that looks like a reference (it starts with
// ssm:, secretsmanager:, or a parameter or secret ARN, or it contains
// {{resolve:) but does not parse is a *[SyntaxError] naming the variable,
// the reference and the rule.
//
//	Form                                                  Reads
//	ssm:NAME                                              parameter NAME (a path /a/b or a plain name), decrypted
//	ssm:NAME:VERSION   ssm:NAME:LABEL                     that version, or the version with that label
//	ssm:ARN[:VERSION|:LABEL]                              a parameter by ARN (its own region)
//	secretsmanager:ID                                     the secret's SecretString (ID a name or ARN)
//	secretsmanager:ID#KEY                                 the top-level JSON key KEY of it
//	arn:P:ssm:R:A:parameter/NAME[:VERSION|:LABEL]         a parameter by ARN
//	arn:P:secretsmanager:R:A:secret:NAME[:KEY[:STAGE[:ID]]] ECS valueFrom: fields may be empty
//	{{resolve:ssm:NAME[:VERSION]}}                        CloudFormation, verbatim
//	{{resolve:ssm-secure:NAME[:VERSION]}}                 CloudFormation, verbatim
//	{{resolve:secretsmanager:ID[:SecretString[:KEY[:STAGE[:ID]]]]}} CloudFormation, verbatim
//
// The CloudFormation forms may be embedded, any number of times, in a
// longer string: postgres://u:{{resolve:secretsmanager:db:SecretString:password}}@host.
// A JSON key's value is the string's text for a JSON string, and the JSON
// as written for a number, a bool, an object or an array. Parameters are
// always read WithDecryption (String and StringList values are unchanged
// by it).
//
// In environment values ([Env], [SetEnv], [Value], autoenv) a bare ARN is
// a reference only with [WithARNs]: a variable such as SECRET_ARN often
// holds an ARN for the program's own use, and replacing it with the value
// would surprise that program (and could log the value where it logs the
// ARN). Prefixed with ssm: or secretsmanager:, an ARN is always a
// reference. In struct tags and [Watch] the text is a reference by
// definition, so bare ARNs are taken there.
//
// # Reads
//
// [Env], [SetEnv] and [Load] read every distinct reference once, grouped by
// service and region: parameters with cache.Cache.Parameters (SSM
// GetParameters, ten names per call), secrets with cache.Cache.Secrets
// (BatchGetSecretValue, twenty ids per call; a secret of a given version
// stage or id is read on its own), each region's group at once, within the
// caller's ctx. Values already in the cache cost no call. Reads by ARN go
// to the ARN's region (package source routes them).
//
// # Types
//
// [Load] and [Watch] convert a resolved value to the field's type or T:
// string; bool (strconv.ParseBool); integers and floats (strconv, out of
// range is an error); time.Duration (time.ParseDuration: "5s", "1m30s");
// [Secret]; []string (a StringList's items, split at commas); any type
// whose pointer implements encoding.TextUnmarshaler (netip.Addr, …); and
// any other struct, map, slice, array or pointer from JSON (a parameter or
// secret holding a JSON document, or a JSON key's object).
//
// # Live values
//
// [Watch] returns a [Live] whose Get reads the current value from memory
// without allocating. It follows the cache: when a load stores a new
// version (a refresh ahead of the TTL, a MaxAge reload, a read after an
// invalidation by a change event, anyone's forced read), the cache notifies
// ([cache.Cache.OnChange]) and Live swaps the new value in and calls its
// OnChange functions, once per version. Get also starts a background read
// at most once per check interval, which keeps the cache refreshing ahead.
//
// # Secrets
//
// Errors name variables, fields, references, secret names and JSON keys,
// never a value; conversion errors name the type, not the text. A field
// or live value of type [Secret] redacts itself in fmt (every verb), slog,
// encoding/json and encoding.TextMarshaler output, and keeps the value
// behind a pointer, out of reach of fmt's reflection.
//
// All functions are safe for concurrent use, except SetEnv, which changes
// the process's environment.
package resolve
