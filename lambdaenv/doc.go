// Package lambdaenv reads the nine environment variables of the AWS
// Parameters and Secrets Lambda Extension once, checked against the
// extension's ranges, into [Settings]. The cache (cache.WithEnv,
// cache.WithSettings, cache.NewDefault), the HTTP server (httpcompat.Start)
// and parsecd all read the environment through it, each applying the
// settings it owns: the cache its TTLs, size and timeouts, the source its
// connection limit ([Settings.SourceOptions]), the server its port and log
// level ([Settings.Logger]).
//
// A bad value is a [*VarError] naming the variable, the value and the rule
// it broke; [Parse] reports every bad variable at once (errors.Join), each
// matched with errors.As. [Table] lists the variables with their defaults,
// ranges and meanings, the same table the parser checks against: parsecd's
// --help and the documentation are tested against it.
//
// The package reads nothing by itself: the environment comes through an
// injected getenv (os.Getenv in production). Everything in it is safe for
// concurrent use.
package lambdaenv
