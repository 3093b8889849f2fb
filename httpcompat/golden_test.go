package httpcompat

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"sort"
	"testing"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// The recorded responses of the real extension. The test reads the copy in
// testdata; TestRecordedCopyIsCurrent checks it against the shared original
// when that is there (CI has shared/ beside the clone).
const (
	recordedFile   = "testdata/extension-recorded-responses.json"
	recordedShared = "../../shared/testdata/extension-recorded-responses.json"
)

type recordedCase struct {
	Response json.RawMessage `json:"response"`
	Status   int             `json:"status"`
	Body     string          `json:"body"`
}

func loadRecorded(t testing.TB) map[string]recordedCase {
	t.Helper()
	b, err := os.ReadFile(recordedFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]recordedCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", recordedFile, err)
	}
	return f.Cases
}

func TestRecordedCopyIsCurrent(t *testing.T) {
	shared, err := os.ReadFile(recordedShared)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not there; the copy in testdata is used as is", recordedShared)
	}
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.ReadFile(recordedFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, local) {
		t.Errorf("%s differs from %s: copy it again", recordedFile, recordedShared)
	}
}

// TestRecordedResponses sends each of the 15 recorded request paths through
// the handler, over a cache reading a sourcetest fake seeded with exactly the
// recorded values: the 12 successes must match the extension byte for byte,
// the 3 errors its status (their bodies are deliberately informative JSON
// where the extension sent a fixed text).
func TestRecordedResponses(t *testing.T) {
	srv := sourcetest.NewServer()
	t.Cleanup(srv.Close)
	if err := sourcetest.SeedRecorded(srv); err != nil {
		t.Fatalf("SeedRecorded: %v", err)
	}
	h, err := NewHandler(newCache(t, srv.Clients()), WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	cases := loadRecorded(t)
	if len(cases) != 15 {
		t.Fatalf("recorded cases = %d; want 15", len(cases))
	}
	paths := make([]string, 0, len(cases))
	for p := range cases {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	successes, errs := 0, 0
	for _, path := range paths {
		rc := cases[path]
		t.Run(path, func(t *testing.T) {
			w := serve(h, request("GET", path, testToken))
			if rc.Response == nil {
				errs++
				if w.Code != rc.Status {
					t.Fatalf("GET %s = %d %s; want the recorded %d", path, w.Code, w.Body, rc.Status)
				}
				e := errorOf(t, w)
				t.Logf("recorded %q; we answer %s: %s", rc.Body, e.Type, e.Message)
				return
			}
			successes++
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s; want 200", path, w.Code, w.Body)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, rc.Response); err != nil {
				t.Fatal(err)
			}
			if got := w.Body.Bytes(); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("GET %s body\n got: %s\nwant: %s", path, got, want.Bytes())
			}
			if got := w.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", got)
			}
		})
	}
	if successes != 12 || errs != 3 {
		t.Errorf("ran %d successes and %d errors; want 12 and 3", successes, errs)
	}
}
