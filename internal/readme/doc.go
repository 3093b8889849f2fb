// Package readme holds the test that every Go snippet in the repository's
// README.md compiles, as a user would paste it: each one is built in a
// temporary module outside this one, which requires
// github.com/parsec-go/parsec through a replace directive pointing at this
// checkout (and github.com/aws/aws-lambda-go, for Lambda handlers). All
// snippets are built together, with one go vet, and the snippets that hold
// tests are run with go test. The package has no API.
//
// How a ```go block becomes a package:
//
//   - A block that starts with a package clause is a complete file, used as
//     it is.
//
//   - Any other block gets "package main" and the imports it uses, found
//     by their usual package names in the table in readme_test.go (the
//     standard library's context, errors, fmt, log, slog, os, time,
//     testing, http; the AWS SDK's aws, config, ssm, secretsmanager, types
//     (of ssm), smithy; lambda (aws-lambda-go); parsec's cache, source,
//     sourcetest, httpcompat). Add a name there when a snippet needs one
//     more.
//
//   - A block of declarations stays at the top level; a block of
//     statements becomes the body of a function, and the variables it
//     declares at its top level need not be used.
//
//   - An HTML comment right before the block (a blank line may separate
//     them) of the form
//
//     <!-- go-snippet dir=NAME
//     var values *cache.Cache // Go declarations the snippet may use
//     -->
//
//     adds its lines after the first as declarations the snippet may use
//     (invisible to the reader: "given" context), and with dir=NAME puts
//     every block naming the same NAME in one package, one file each (a
//     handler and its test). Both parts are optional.
//
//   - A block that declares a func Test… is a _test.go file and runs.
//
//   - package main gets an empty func main when it has none.
package readme
