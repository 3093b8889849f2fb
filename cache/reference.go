package cache

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/parsec-go/parsec/internal/awsname"
)

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
	if !awsname.IsReference(name) || !strings.Contains(sourceResult, `"secretBinary"`) {
		return nil, false, nil
	}
	var src struct {
		SecretBinary json.RawMessage `json:"secretBinary"`
	}
	reason := "SourceResult is not JSON"
	if json.Unmarshal([]byte(sourceResult), &src) == nil {
		raw := src.SecretBinary
		if len(raw) == 0 || string(raw) == "null" {
			return nil, false, nil
		}
		if b, reason = secretBinary(raw); reason == "" {
			return b, true, nil
		}
	}
	return nil, true, &DecodeError{Name: name, Type: "[]byte", Offset: -1, Reason: "SourceResult.secretBinary: " + reason}
}

// secretBinary decodes a "secretBinary" that is not null: a base64 string
// or a ByteBuffer object. reason is "" on success, else what is wrong.
func secretBinary(raw json.RawMessage) (b []byte, reason string) {
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, "not a JSON string"
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, "not standard base64"
		}
		return b, ""
	}
	var buf struct {
		HB       []int `json:"hb"`
		Offset   int   `json:"offset"`
		Position int   `json:"position"`
		Limit    *int  `json:"limit"`
	}
	if json.Unmarshal(raw, &buf) != nil {
		return nil, "neither a ByteBuffer object nor a base64 string"
	}
	limit := len(buf.HB) - buf.Offset
	if buf.Limit != nil {
		limit = *buf.Limit
	}
	if buf.Offset < 0 || buf.Position < 0 || buf.Position > limit || buf.Offset > len(buf.HB) || limit > len(buf.HB)-buf.Offset {
		return nil, "offset, position and limit do not fit hb"
	}
	b = make([]byte, 0, limit-buf.Position)
	for _, v := range buf.HB[buf.Offset+buf.Position : buf.Offset+limit] {
		if v < -128 || v > 255 {
			return nil, "hb holds a number that is not a byte"
		}
		b = append(b, byte(v))
	}
	return b, ""
}
