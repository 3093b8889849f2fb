package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/lambdaenv"
)

// TestHelpListsTheParsersVariables: --help says, for each of the
// extension's variables, what lambdaenv parses: its default, its range and
// what 0 means where 0 is special (issue 23).
func TestHelpListsTheParsersVariables(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"parsecd", "--help"}, envMap(), &stdout, &stderr); code != exitOK {
		t.Fatalf("run(--help) = %d; want %d", code, exitOK)
	}
	help := stdout.String()
	for _, v := range lambdaenv.Table() {
		_, entry, ok := strings.Cut(help, "\n  "+v.Name+"\n")
		if !ok {
			t.Errorf("--help does not list %s", v.Name)
			continue
		}
		entry, _, _ = strings.Cut(entry, "\n")
		want := []string{v.Range, "default " + v.Default, v.Meaning}
		if v.Zero != "" {
			want = append(want, "0 = "+v.Zero)
		}
		for _, w := range want {
			if !strings.Contains(entry, w) {
				t.Errorf("--help says of %s %q; want it to say %q", v.Name, entry, w)
			}
		}
	}
}
