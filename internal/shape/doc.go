// Package shape holds no code: its test keeps the engine (cache, source)
// and the faces of parsec (httpcompat, sdkcache, cmd/parsecd) made of small
// functions, each at most 60 lines with a cyclomatic complexity of at most
// 15 (counted as gocyclo v0.6.0 counts it), as issue 21 asked. Test files
// and source/sourcetest, a test fake, are not checked.
package shape
