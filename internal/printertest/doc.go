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
// unexported field and behind a pointer, the errors parsec returns
// (cache.DecodeError of a value that does not fit), and a whole
// *cache.Cache (its store, entries and decoded values, and its upstream
// clients) dumped by spew.
//
// Not covered, because parsec does not control their shape: the SDK's own
// output structs, returned by Parameter.Output and Secret.Output and by
// SSM and Secrets Manager clients through sdkcache (plain *string and
// []byte fields, printed by every printer: keep them out of test
// assertions that print on failure), a caller's own type T decoded by
// cache.ParameterJSON or SecretJSON, and net/http's buffers: a dump of a
// *cache.Cache follows its upstream clients into their HTTP transport,
// whose idle keep-alive connections keep a read buffer holding the last
// answer's bytes (spew prints it as a hex dump). The test dumps a cache
// whose clients keep no connection open.
package printertest
