// Package readme holds the tests that every Go block of the repository's
// README.md and of its docs/*.md pages compiles, as a user would paste it:
// each one is built in a temporary module outside this one, which requires
// github.com/parsec-go/parsec through a replace directive pointing at this
// checkout (as a user with a clone does until parsec is published) and
// github.com/aws/aws-lambda-go at the version examples/lambda uses, for
// Lambda handlers. All blocks are built together, with one go vet, and the
// blocks that hold tests are run with go test. The package has no API.
//
// The README's blocks must be whole files: a package clause and the
// imports they use, built exactly as written, so that a reader can paste
// them without goimports (TestREADMEBlocksAreFiles). A block of a docs/
// page may also be a fragment; how a block becomes a package:
//
//   - A block that starts with a package clause is a complete file, used as
//     it is.
//
//   - Any other block (docs/ only) gets "package main" and the imports it
//     uses, found by their usual package names in the table in
//     readme_test.go (the standard library's context, errors, fmt, log,
//     slog, os, time, testing, http; the AWS SDK's aws, config, ssm,
//     secretsmanager, types (of ssm), smithy; lambda (aws-lambda-go);
//     parsec's cache, source, sourcetest, httpcompat, sdkcache). Add a name
//     there when a snippet needs one more.
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
//     every block of the same Markdown file naming the same NAME in one
//     package, one file each (a handler and its test). Both parts are
//     optional. parse-only=REASON instead parses the block without
//     building it (code of another library, shown for comparison).
//
//   - A block that declares a func Test… is a _test.go file and runs.
//
//   - package main gets an empty func main when it has none.
package readme
