package awsname

import (
	"strconv"
	"unicode/utf8"
)

// The text rule. Every name, id, label, stage, version id and path parsec
// takes is text: valid UTF-8 without control characters, that is without
// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F) controls.
//
// Why all three: AWS accepts none of them in any of these fields (SSM
// names and labels are letters, digits and a few ASCII symbols; Secrets
// Manager names are ASCII letters, digits and /_+=.@-; stages and version
// ids printable ASCII), so refusing them locally never refuses a read AWS
// would answer. And each does harm on the way: C0 and DEL split or
// rewrite a log line (newline, carriage return, backspace), C1 includes
// terminal escapes (U+009B starts a control sequence as ESC [ does) and
// next-line (U+0085), and invalid UTF-8 cannot be carried in the JSON of an
// AWS request or of an error body. Other Unicode (letters, U+2028) is left
// to AWS, which answers for its own grammar.

// TextError is where a string breaks the text rule: the byte offset of the
// first invalid UTF-8 sequence (Invalid true) or control character.
type TextError struct {
	Offset  int
	Rune    rune // the control character; utf8.RuneError when Invalid
	Invalid bool // not valid UTF-8 at Offset
}

// Error returns, for example, "control character U+000A at offset 3" or
// "invalid UTF-8 at offset 0". It quotes no other part of the string.
func (e *TextError) Error() string {
	if e.Invalid {
		return "invalid UTF-8 at offset " + strconv.Itoa(e.Offset)
	}
	return "control character U+" + hex4(e.Rune) + " at offset " + strconv.Itoa(e.Offset)
}

// CheckText returns nil when s is text (see the rule above), else a
// [*TextError] for the first offending byte. It allocates only for the
// error.
func CheckText(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return &TextError{Offset: i, Rune: rune(c)}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return &TextError{Offset: i, Rune: r, Invalid: true}
		case r < 0xa0:
			return &TextError{Offset: i, Rune: r}
		}
		i += size
	}
	return nil
}

// IsControl reports whether r is a control character of the text rule:
// C0, DEL or C1.
func IsControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

func hex4(r rune) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf]})
}
