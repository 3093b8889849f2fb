package source

import (
	"slices"
	"strings"
)

// Kept returns the client sets c keeps besides the home one, as
// "role|region", sorted: for tests of the bounds.
func Kept(c Clients) []string {
	r := routerOf(c.Secret)
	if r == nil {
		return nil
	}
	var out []string
	for _, k := range r.kept() {
		out = append(out, strings.Join([]string{k.role, k.region}, "|"))
	}
	slices.Sort(out)
	return out
}
