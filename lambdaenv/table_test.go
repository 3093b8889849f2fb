package lambdaenv

import (
	"strconv"
	"strings"
	"testing"
)

// The table says what the parser does: every default parses to the
// default settings, and every range's ends are accepted and the numbers
// just beyond them refused.
func TestTableAgreesWithParse(t *testing.T) {
	vars := Table()
	if len(vars) != 9 {
		t.Fatalf("Table() has %d rows; want 9", len(vars))
	}
	env := map[string]string{}
	for _, v := range vars {
		env[v.Name] = v.Default
	}
	got, err := Parse(envOf(env))
	if err != nil {
		t.Fatalf("Parse(the table's defaults) = %v", err)
	}
	want := Defaults()
	want.LogLevelSet = true
	if got != want {
		t.Errorf("Parse(the table's defaults) = %+v; want %+v", got, want)
	}
	for _, v := range vars {
		lo, hi, isNumber := strings.Cut(v.Range, "–")
		var accept, refuse []string
		if isNumber {
			a, _ := strconv.ParseInt(lo, 10, 64)
			b, _ := strconv.ParseInt(hi, 10, 64)
			accept = []string{lo, hi}
			refuse = []string{strconv.FormatInt(a-1, 10), strconv.FormatInt(b+1, 10)}
		} else {
			accept = strings.Split(v.Range, "|")
			for _, a := range accept {
				accept = append(accept, strings.ToLower(a))
			}
			refuse = []string{"yes", "verbose"}
		}
		for _, a := range accept {
			if _, err := Parse(envOf(map[string]string{v.Name: a})); err != nil {
				t.Errorf("%s: Parse(%s) = %v; want it accepted, as the range %q says", v.Name, a, err, v.Range)
			}
		}
		for _, r := range refuse {
			if _, err := Parse(envOf(map[string]string{v.Name: r})); err == nil {
				t.Errorf("%s: Parse(%s) = nil error; want it refused, as the range %q says", v.Name, r, v.Range)
			}
		}
	}
}
