//go:build !race

package printertest

import (
	"testing"

	"github.com/davecgh/go-spew/spew"
)

// TestCacheDumpShowsNoValue dumps a whole *cache.Cache, as spew dumps a
// caller's struct that holds one: its store, its entries, the decoded
// values it keeps and its upstream clients; the canary is in none of it.
// (Not under -race: reflection reads the live cache while its goroutines
// write, as a printer in a caller's program would.)
func TestCacheDumpShowsNoValue(t *testing.T) {
	_, c := values(t, "a")
	raw := spew.ConfigState{Indent: " ", DisableMethods: true, DisablePointerMethods: true}
	out := raw.Sdump(c)
	if l := leaks(out); len(l) > 0 {
		t.Errorf("spew with DisableMethods of the cache shows %q", l)
	}
	if len(out) < 10000 {
		t.Errorf("the dump of the cache is %d bytes; want the whole cache", len(out))
	}
}
