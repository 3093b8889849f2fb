package awsname

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		in      string
		offset  int // -1: no error
		invalid bool
		says    string
	}{
		{"/app/db", -1, false, ""},
		{"", -1, false, ""},
		{"café/naïve", -1, false, ""}, // letters beyond ASCII: left to AWS
		{"a\u00a0b", -1, false, ""},   // U+00A0, just after C1
		{"a\u2028b", -1, false, ""},   // a line separator is not a control character
		{"a\x00b", 1, false, "control character U+0000 at offset 1"},
		{"ab\n", 2, false, "U+000A"},
		{"\x1f", 0, false, "U+001F"},
		{"a\x7f", 1, false, "U+007F at offset 1"},   // DEL
		{"a\u0080", 1, false, "U+0080 at offset 1"}, // C1, first
		{"é\u0085", 2, false, "U+0085 at offset 2"}, // next line
		{"\u009b[2J", 0, false, "U+009B"},           // CSI
		{"\u009f", 0, false, "U+009F"},              // C1, last
		{"a\xffb", 1, true, "invalid UTF-8 at offset 1"},
		{"\xc2", 0, true, "invalid UTF-8"},         // truncated C1
		{"\xed\xa0\x80", 0, true, "invalid UTF-8"}, // a surrogate
	}
	for _, tt := range tests {
		err := CheckText(tt.in)
		if tt.offset < 0 {
			if err != nil {
				t.Errorf("CheckText(%q) = %v; want nil", tt.in, err)
			}
			continue
		}
		var te *TextError
		if !errors.As(err, &te) || te.Offset != tt.offset || te.Invalid != tt.invalid {
			t.Errorf("CheckText(%q) = %#v; want a *TextError at offset %d, invalid %v", tt.in, err, tt.offset, tt.invalid)
			continue
		}
		if got := err.Error(); !strings.Contains(got, tt.says) {
			t.Errorf("CheckText(%q) = %q; want it to say %q", tt.in, got, tt.says)
		}
		if !tt.invalid && !IsControl(te.Rune) {
			t.Errorf("IsControl(%U) = false for the rune CheckText refused", te.Rune)
		}
	}
}
