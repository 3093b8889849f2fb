package changes_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/changes"
)

// The CloudFormation template in docs/rotation.md uses EventPattern.
func TestDocsEventPattern(t *testing.T) {
	doc, err := os.ReadFile("../docs/rotation.md")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for line := range bytes.Lines(doc) {
		if p, ok := strings.CutPrefix(strings.TrimSpace(string(line)), "EventPattern: "); ok {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("docs/rotation.md has %d EventPattern lines; want 1", len(found))
	}
	var got, want any
	if err := json.Unmarshal([]byte(found[0]), &got); err != nil {
		t.Fatalf("the EventPattern of docs/rotation.md is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(changes.EventPattern), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docs/rotation.md's EventPattern = %s; want changes.EventPattern %s", found[0], changes.EventPattern)
	}
}
