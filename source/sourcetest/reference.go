package sourcetest

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file serves SSM GetParameter for the names
// /aws/reference/secretsmanager/SECRET-ID[:SELECTOR], which Parameter Store
// resolves by reading Secrets Manager.
//
// Choices where AWS's documentation is silent (documented in doc.go):
//   - The selector is a VersionId when one of the secret's versions has it
//     as its id, otherwise a staging label (moto does the same); no
//     selector means AWSCURRENT.
//   - A missing secret, version or stage, a secret scheduled for deletion
//     and a version without value all give ParameterNotFound.
//   - A binary secret gives what real SSM gives (recorded in the project's
//     shared testdata/extension-recorded-responses.json): no Value (null),
//     and in SourceResult "secretBinary" as Gson renders the Java ByteBuffer
//     holding the bytes (moto answers HTTP 500).

// splitReference splits the part after the reference prefix into the secret
// id and the selector. Secret names cannot contain ':', so the selector
// starts at the first ':' of a name, or at the eighth field of an ARN.
func splitReference(rest string) (id, sel string, ok bool) {
	if strings.HasPrefix(rest, "arn:") {
		parts := strings.SplitN(rest, ":", 8)
		if len(parts) == 8 {
			return strings.Join(parts[:7], ":"), parts[7], true
		}
		return rest, "", false
	}
	return strings.Cut(rest, ":")
}

func (s *Server) referenceLocked(name string, decrypt bool) (paramJSON, *apiError) {
	if !decrypt {
		return paramJSON{}, errorf("ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager secret.")
	}
	id, sel, hasSel := splitReference(strings.TrimPrefix(name, referencePrefix))
	notFound := errorf("ParameterNotFound", "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret %s not found.", name)
	sec := s.findSecretLocked(id)
	if sec == nil || !sec.deleted.IsZero() {
		return paramJSON{}, notFound
	}
	v := sec.staged("AWSCURRENT")
	if hasSel {
		if v = sec.version(sel); v == nil {
			v = sec.staged(sel)
		}
	}
	if v == nil || v.str == nil && v.bin == nil {
		return paramJSON{}, notFound
	}
	out := paramJSON{
		ARN:              sec.arn,
		LastModifiedDate: epoch(v.created),
		Name:             referencePrefix + id,
		SourceResult:     sourceResult(sec, v),
		Type:             "SecureString",
	}
	if v.str != nil {
		out.Value = *v.str
	} // a binary secret has no Value: SSM answers null
	if hasSel {
		out.Selector = ":" + sel
	}
	return out, nil
}

// sourceResult renders the secret version as Parameter Store does in
// SourceResult: Gson's default output (camelCase fields in this order,
// HTML-safe escaping, no nulls) with createdDate in Java's default
// DateFormat for the US locale, in UTC: "Nov 16, 2022, 8:22:40 AM".
func sourceResult(sec *secret, v *secretVersion) string {
	var b strings.Builder
	b.WriteString(`{"ARN":`)
	gsonString(&b, sec.arn)
	b.WriteString(`,"name":`)
	gsonString(&b, sec.name)
	b.WriteString(`,"versionId":`)
	gsonString(&b, v.id)
	if v.str != nil {
		b.WriteString(`,"secretString":`)
		gsonString(&b, *v.str)
	} else {
		b.WriteString(`,"secretBinary":`)
		gsonByteBuffer(&b, v.bin)
	}
	b.WriteString(`,"versionStages":[`)
	for i, st := range v.stages {
		if i > 0 {
			b.WriteByte(',')
		}
		gsonString(&b, st)
	}
	b.WriteString(`],"createdDate":`)
	gsonString(&b, v.created.UTC().Format("Jan 2, 2006, 3:04:05 PM"))
	b.WriteByte('}')
	return b.String()
}

// gsonByteBuffer writes bin as Gson renders the java.nio.HeapByteBuffer
// that holds a binary secret in the AWS SDK for Java (recorded from real
// SSM): its fields in declaration order, the backing array "hb" as signed
// bytes, a buffer positioned at 0 with limit and capacity the length, and
// "address" 16 (the array's base offset on a 64-bit JVM).
func gsonByteBuffer(b *strings.Builder, bin []byte) {
	b.WriteString(`{"hb":[`)
	for i, c := range bin {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(int8(c))))
	}
	n := strconv.Itoa(len(bin))
	b.WriteString(`],"offset":0,"isReadOnly":false,"bigEndian":true,"nativeByteOrder":false,"mark":-1,"position":0,"limit":` + n + `,"capacity":` + n + `,"address":16}`)
}

// gsonString writes s as a JSON string escaped like Gson's default
// (htmlSafe) writer.
func gsonString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '=' || r == '\'' || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
