package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestParseEmulationExample(t *testing.T) {
	e, err := loadEmulation("testdata/emulate.json")
	if err != nil {
		t.Fatalf("loadEmulation(example) = %v; want nil", err)
	}
	if p, s := e.counts(); p != 6 || s != 5 {
		t.Errorf("counts() = %d, %d; want 6 parameter versions, 5 secret versions", p, s)
	}
	fake := sourcetest.NewUnstartedServer()
	defer fake.Close()
	if err := e.seed(fake); err != nil {
		t.Fatalf("seed(example) = %v; want nil", err)
	}
}

func TestParseEmulationValues(t *testing.T) {
	e, err := parseEmulation("f.json", []byte(`{
	  "parameters": [
	    {"name": "/l", "type": "StringList", "value": ["a", "b,c"]},
	    {"name": "/v", "keyId": "k", "type": "SecureString", "versions": [{"value": "1"}, {"value": "2", "labels": ["x"], "lastModified": "2026-01-02T03:04:05.678Z"}]}
	  ],
	  "secrets": [
	    {"name": "j", "string": {"b": [1, 2], "a": "x y"}},
	    {"name": "b", "binary": "AAEC", "stages": ["AWSCURRENT", "blue"], "created": "2026-01-01T00:00:00Z"},
	    {"name": "m", "versions": [{"string": "1"}, {"string": "2", "versionId": "00000000-0000-4000-8000-000000000002"}]}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(e.steps); got != 7 {
		t.Fatalf("len(steps) = %d; want 7", got)
	}
	if p := e.steps[0].param; p.Value != "a,b,c" || p.Type != "StringList" {
		t.Errorf("steps[0] = %+v; want the StringList a,b,c", p)
	}
	if p := e.steps[2].param; p.Value != "2" || p.KeyID != "k" || len(p.Labels) != 1 || p.LastModified.UnixMilli()%1000 != 678 {
		t.Errorf("steps[2] = %+v; want version 2 with key, label and time", p)
	}
	if s := e.steps[3]; s.secret == nil || *s.ver.String != `{"b":[1,2],"a":"x y"}` {
		t.Errorf("steps[3] = %+v; want an inline JSON secret stored compact, keys in file order", s)
	}
	if s := e.steps[4]; string(s.ver.Binary) != "\x00\x01\x02" || len(s.ver.Stages) != 2 || s.secret.Created.IsZero() {
		t.Errorf("steps[4] = %+v; want a binary secret with two stages and a creation time", s)
	}
	if s5, s6 := e.steps[5], e.steps[6]; s5.secret == nil || s6.secret != nil || s6.name != "m" {
		t.Errorf("steps[5], [6] = %+v, %+v; want CreateSecret then PutSecretValue", s5, s6)
	}
}

func TestParseEmulationErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the whole message after "f.json:"
	}{
		{"empty", ``, "1:1: invalid JSON: unexpected end of file"},
		{"truncated", "{\n\"parameters\": [", "2:16: invalid JSON: unexpected end of file"},
		{"missing comma", "{\n  \"parameters\": []\n  \"secrets\": []\n}", `3:3: invalid JSON: invalid character '"' after object key:value pair`},
		{"bad literal", "{\"region\":\n  tru}", "2:6: invalid JSON: invalid character '}' in literal true (expecting 'e')"},
		{"bad escape", "{\"region\": \"a\\qb\"}", "1:15: invalid JSON: invalid character 'q' in string escape code"},
		{"trailing comma", "{\"parameters\": [],}", "1:19: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"trailing data", "{} {}", "1:4: invalid JSON: unexpected data after the top-level value"},
		{"not an object", "[]", "1:1: (top level): must be an object, not an array"},
		{"unknown top field", "{\n \"params\": []}", "2:2: params: unknown field; allowed here: region, parameters, secrets"},
		{"duplicate field", `{"region": "a", "region": "b"}`, "1:27: region: given twice"},
		{"parameters not array", `{"parameters": {}}`, "1:16: parameters: must be an array, not an object"},
		{"parameter not object", `{"parameters": ["x"]}`, "1:17: parameters[0]: must be an object, not a string"},
		{"missing name", `{"parameters": [{"value": "v"}]}`, "1:17: parameters[0].name: missing"},
		{"empty name", `{"parameters": [{"name": "", "value": "v"}]}`, "1:26: parameters[0].name: must not be empty"},
		{"name not string", `{"parameters": [{"name": 5, "value": "v"}]}`, "1:26: parameters[0].name: must be a string, not a number"},
		{"bad type", "{\"parameters\": [\n {\"name\": \"/a\", \"value\": \"v\"},\n {\"name\": \"/b\", \"type\": \"Secure\", \"value\": \"v\"}]}", `3:25: parameters[1].type: must be String, StringList or SecureString, not "Secure"`},
		{"unknown parameter field", `{"parameters": [{"name": "/a", "Value": "v"}]}`, "1:32: parameters[0].Value: unknown field; allowed here: name, type, dataType, keyId, value, labels, lastModified, versions"},
		{"missing value", `{"parameters": [{"name": "/a"}]}`, "1:17: parameters[0].value: missing (or give versions)"},
		{"value and versions", `{"parameters": [{"name": "/a", "value": "v", "versions": []}]}`, "1:58: parameters[0].versions: give either versions or value (with labels, lastModified), not both"},
		{"no versions", `{"parameters": [{"name": "/a", "versions": []}]}`, "1:44: parameters[0].versions: must hold at least one version"},
		{"version without value", `{"parameters": [{"name": "/a", "versions": [{"value": "1"}, {"labels": []}]}]}`, "1:61: parameters[0].versions[1].value: missing"},
		{"list without StringList", `{"parameters": [{"name": "/a", "value": ["x"]}]}`, `1:41: parameters[0].value: an array value needs "type": "StringList"`},
		{"number value", `{"parameters": [{"name": "/a", "value": 3}]}`, "1:41: parameters[0].value: must be a string (or an array of strings for a StringList), not a number"},
		{"bad label", `{"parameters": [{"name": "/a", "value": "v", "labels": [1]}]}`, "1:57: parameters[0].labels[0]: must be a string, not a number"},
		{"bad time", `{"parameters": [{"name": "/a", "value": "v", "lastModified": "yesterday"}]}`, `1:62: parameters[0].lastModified: must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not "yesterday"`},
		{"secret without value", `{"secrets": [{"name": "s"}]}`, "1:14: secrets[0].string: missing (or give binary)"},
		{"secret string and binary", `{"secrets": [{"name": "s", "string": "a", "binary": "YQ=="}]}`, "1:53: secrets[0].binary: give either string or binary, not both"},
		{"bad base64", `{"secrets": [{"name": "s", "binary": "%%%"}]}`, "1:38: secrets[0].binary: must be standard base64: illegal base64 data at input byte 0"},
		{"secret number", `{"secrets": [{"name": "s", "string": 1}]}`, "1:38: secrets[0].string: must be a string or a JSON object, not a number"},
		{"secret versions and string", `{"secrets": [{"name": "s", "string": "a", "versions": []}]}`, "1:55: secrets[0].versions: give either versions or string/binary (with versionId, stages), not both"},
		{"secret version unknown field", `{"secrets": [{"name": "s", "versions": [{"string": "a", "label": "x"}]}]}`, "1:57: secrets[0].versions[0].label: unknown field; allowed here: string, binary, versionId, stages, created"},
		{"stages not array", `{"secrets": [{"name": "s", "string": "a", "stages": "AWSCURRENT"}]}`, "1:53: secrets[0].stages: must be an array, not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseEmulation("f.json", []byte(tt.in))
			if err == nil || err.Error() != "f.json:"+tt.want {
				t.Errorf("parseEmulation(%q) = %v; want f.json:%s", tt.in, err, tt.want)
			}
			var pe *posError
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("parseEmulation(%q) error is %T; want *posError", tt.in, err)
			}
		})
	}
}

// Writes the fake rejects name the place in the file.
func TestSeedErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad parameter name", "{\"parameters\": [\n  {\"name\": \"/a b\", \"value\": \"v\"}]}", "f.json:2:3: parameters[0]:"},
		{"duplicate secret", "{\"secrets\": [\n  {\"name\": \"s\", \"string\": \"a\"},\n  {\"name\": \"s\", \"string\": \"b\"}]}", "f.json:3:3: secrets[1]:"},
		{"short version id", "{\"secrets\": [{\"name\": \"s\", \"versions\": [{\"string\": \"a\"},\n {\"string\": \"b\", \"versionId\": \"x\"}]}]}", "f.json:2:2: secrets[0].versions[1]:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := parseEmulation("f.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			fake := sourcetest.NewUnstartedServer()
			defer fake.Close()
			if err := e.seed(fake); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("seed = %v; want an error starting %q", err, tt.want)
			}
		})
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	for _, c := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {6, 3, 1}, {7, 4, 1}, {9, 4, 3}, {99, 4, 3}, {-1, 1, 1}} {
		if l, col := lineCol(data, c.off); l != c.line || col != c.col {
			t.Errorf("lineCol(%d) = %d:%d; want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}

func FuzzParseEmulation(f *testing.F) {
	f.Add([]byte(validFile))
	f.Add([]byte(`{"parameters": [{"name": "/l", "type": "StringList", "value": ["a"]}], "secrets": [{"name": "j", "string": {"a": 1}}]}`))
	f.Add([]byte("{\"a\": tru}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseEmulation("f.json", data)
		var pe *posError
		if err != nil && (!errors.As(err, &pe) || pe.line < 1 || pe.col < 1) {
			t.Fatalf("parseEmulation(%q) = %v; want nil or a *posError with a position", data, err)
		}
	})
}
