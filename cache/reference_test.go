package cache

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestReferenceBytes(t *testing.T) {
	const ref = "/aws/reference/secretsmanager/s"
	buffer := func(hb string, offset, position, limit int) string {
		return `{"ARN":"arn","name":"s","versionId":"v","secretBinary":{"hb":[` + hb + `],"offset":` + strconv.Itoa(offset) +
			`,"isReadOnly":false,"bigEndian":true,"nativeByteOrder":false,"mark":-1,"position":` + strconv.Itoa(position) +
			`,"limit":` + strconv.Itoa(limit) + `,"capacity":4,"address":16},"versionStages":["AWSCURRENT"],"createdDate":"Nov 16, 2022, 8:24:07 AM"}`
	}
	tests := []struct {
		name, pname, source string
		want                []byte
		ok                  bool
		bad                 string // a substring of the error
	}{
		{"recorded shape", ref, buffer("97,32,-1,-128", 0, 0, 4), []byte{97, 32, 255, 128}, true, ""},
		{"position and limit", ref, buffer("1,2,3,4", 0, 1, 3), []byte{2, 3}, true, ""},
		{"offset", ref, buffer("1,2,3,4", 2, 0, 2), []byte{3, 4}, true, ""},
		{"empty", ref, buffer("", 0, 0, 0), []byte{}, true, ""},
		{"base64 string", ref, `{"secretBinary":"AAEC/w=="}`, []byte{0, 1, 2, 255}, true, ""},
		{"string secret", ref, `{"secretString":"x","createdDate":"Nov 16, 2022, 8:24:07 AM"}`, nil, false, ""},
		{"no source", ref, "", nil, false, ""},
		{"not a reference", "/app/p", buffer("1", 0, 0, 1), nil, false, ""},
		{"null", ref, `{"secretBinary":null}`, nil, false, ""},
		{"limit past hb", ref, buffer("1,2", 0, 0, 4), nil, true, "do not fit"},
		{"position past limit", ref, buffer("1,2", 0, 2, 1), nil, true, "do not fit"},
		{"negative offset", ref, buffer("1,2", -1, 0, 1), nil, true, "do not fit"},
		{"not a byte", ref, buffer("1,300", 0, 0, 2), nil, true, "not a byte"},
		{"bad base64", ref, `{"secretBinary":"%%%"}`, nil, true, "base64"},
		{"broken JSON", ref, `{"secretBinary":{"hb":[1,`, nil, true, "not JSON"},
		{"wrong type", ref, `{"secretBinary":[1,2]}`, nil, true, "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := referenceBytes(tt.pname, tt.source)
			if ok != tt.ok {
				t.Fatalf("referenceBytes(%s) ok = %v; want %v", tt.name, ok, tt.ok)
			}
			if tt.bad != "" {
				var de *DecodeError
				if !errors.As(err, &de) || !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), tt.bad) || !strings.Contains(err.Error(), tt.pname) {
					t.Fatalf("referenceBytes(%s) error = %v; want a DecodeError naming %s and %q", tt.name, err, tt.pname, tt.bad)
				}
				if strings.Contains(err.Error(), "300") || strings.Contains(err.Error(), "%%%") {
					t.Errorf("error %q quotes the value", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("referenceBytes(%s) = %v, %v; want %v", tt.name, got, err, tt.want)
			}
		})
	}
}

// TestBytesOfBinaryReference reads a binary secret through
// /aws/reference/secretsmanager/ from sourcetest, which answers as real SSM
// does (Value null, the bytes in SourceResult), and gets the bytes back from
// Parameter.Bytes.
func TestBytesOfBinaryReference(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	want := []byte{0, 1, 2, 0x7f, 0x80, 0xff}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "bin"}, sourcetest.SecretVersion{Binary: want}); err != nil {
		t.Fatal(err)
	}
	c, err := New(srv.InMemoryClients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Parameter(context.Background(), ParameterRequest{Name: "/aws/reference/secretsmanager/bin", WithDecryption: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Bytes()
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("Bytes() = %v, %v; want %v", got, err, want)
	}
}
