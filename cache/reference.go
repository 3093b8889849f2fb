package cache

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// secretReference marks an SSM name that reads a Secrets Manager secret
// (the same as request.go's referencePrefix; kept here so that this file
// stands alone).
const secretReference = "/aws/reference/secretsmanager/"

// referenceBytes returns the bytes of a binary secret read through
// /aws/reference/secretsmanager/: SSM answers such a read with no Value and
// the secret in SourceResult, its "secretBinary" the Java ByteBuffer that
// held the bytes, as Gson renders it (recorded from real SSM):
//
//	{"hb":[97,32,...],"offset":0,"isReadOnly":false,"bigEndian":true,
//	 "nativeByteOrder":false,"mark":-1,"position":0,"limit":43,
//	 "capacity":43,"address":16}
//
// hb is the backing array as signed bytes; the buffer's content is
// hb[offset+position : offset+limit]. A base64 string in "secretBinary"
// (as some emulators send) is accepted too. ok is false when name is not a
// reference or SourceResult holds no secretBinary: the caller then decodes
// Value as before. An error names the parameter and what is wrong, never a
// byte of the value.
func referenceBytes(name, sourceResult string) (b []byte, ok bool, err error) {
	if !strings.HasPrefix(name, secretReference) || !strings.Contains(sourceResult, `"secretBinary"`) {
		return nil, false, nil
	}
	fail := func(reason string) ([]byte, bool, error) {
		return nil, true, &DecodeError{Name: name, Type: "[]byte", Offset: -1, Reason: "SourceResult.secretBinary: " + reason}
	}
	var src struct {
		SecretBinary json.RawMessage `json:"secretBinary"`
	}
	if json.Unmarshal([]byte(sourceResult), &src) != nil {
		return fail("SourceResult is not JSON")
	}
	raw := src.SecretBinary
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fail("not a JSON string")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fail("not standard base64")
		}
		return b, true, nil
	}
	var buf struct {
		HB       []int `json:"hb"`
		Offset   int   `json:"offset"`
		Position int   `json:"position"`
		Limit    *int  `json:"limit"`
	}
	if json.Unmarshal(raw, &buf) != nil {
		return fail("neither a ByteBuffer object nor a base64 string")
	}
	limit := len(buf.HB) - buf.Offset
	if buf.Limit != nil {
		limit = *buf.Limit
	}
	if buf.Offset < 0 || buf.Position < 0 || buf.Position > limit || buf.Offset > len(buf.HB) || limit > len(buf.HB)-buf.Offset {
		return fail("offset, position and limit do not fit hb")
	}
	b = make([]byte, 0, limit-buf.Position)
	for _, v := range buf.HB[buf.Offset+buf.Position : buf.Offset+limit] {
		if v < -128 || v > 255 {
			return fail("hb holds a number that is not a byte")
		}
		b = append(b, byte(v))
	}
	return b, true, nil
}
