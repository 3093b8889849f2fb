// Package printertest is a test-only module: it checks that the printers
// test tools use, which walk values by reflection without calling their
// methods, never print a value parsec holds. They are spew (go-spew, with
// and without DisableMethods), testify's assert.Equal diff (spew with
// DisableMethods underneath) and go-cmp's Diff with every unexported field
// allowed. It is a module of its own so that these printers stay out of
// parsec's go.mod.
//
// Covered: cache.Parameter (its Value and SourceResult), cache.Secret (a
// SecretString and a SecretBinary), each inside a caller's struct in an
// unexported field and behind a pointer, and the errors parsec returns
// (cache.DecodeError of a value that does not fit, a failed read).
//
// Not covered, because parsec does not control their shape: the SDK's own
// output structs, returned by Parameter.Output and Secret.Output and by
// SSM and Secrets Manager clients through sdkcache (plain *string and
// []byte fields, printed by every printer: keep them out of test
// assertions that print on failure), and a caller's own type T decoded by
// cache.ParameterJSON or SecretJSON.
package printertest
