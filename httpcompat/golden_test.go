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

// TestRecordedResponses sends each of the 17 recorded request paths through
// the handler, over a cache reading a sourcetest fake seeded with exactly the
// recorded values, and compares the reply with the extension's byte for
// byte: the 14 successes (JSON body, Content-Type application/json) and the
// 3 errors (status 400, the extension's plain-text body, Content-Type
// text/plain), with the default options.
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
	if len(cases) != 17 {
		t.Fatalf("recorded cases = %d; want 17", len(cases))
	}
	paths := make([]string, 0, len(cases))
	for p := range cases {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var successes, errs, identical int
	for _, path := range paths {
		rc := cases[path]
		t.Run(path, func(t *testing.T) {
			w := serve(h, request("GET", path, testToken))
			wantStatus, wantType, wantBody := rc.Status, "text/plain", []byte(rc.Body)
			if rc.Response == nil {
				errs++
			} else {
				successes++
				wantStatus, wantType = http.StatusOK, "application/json"
				var b bytes.Buffer
				if err := json.Compact(&b, rc.Response); err != nil {
					t.Fatal(err)
				}
				wantBody = b.Bytes()
			}
			ok := true
			if w.Code != wantStatus {
				ok = false
				t.Errorf("GET %s = %d; want the recorded %d", path, w.Code, wantStatus)
			}
			if got := w.Body.Bytes(); !bytes.Equal(got, wantBody) {
				ok = false
				t.Errorf("GET %s body\n got: %s\nwant: %s", path, got, wantBody)
			}
			if got := w.Header().Get("Content-Type"); got != wantType {
				ok = false
				t.Errorf("Content-Type = %q; want %q", got, wantType)
			}
			if rc.Response == nil {
				e := errorOf(t, w)
				t.Logf("the detail in the headers: %s: %s", e.Type, e.Message)
			}
			if ok {
				identical++
			}
		})
	}
	if successes != 14 || errs != 3 {
		t.Errorf("ran %d successes and %d errors; want 14 and 3", successes, errs)
	}
	t.Logf("%d of %d recorded replies identical byte for byte (%d successes, %d errors)", identical, len(cases), successes, errs)
}

// TestRecordedErrorsJSON: with WithJSONErrors the three recorded errors keep
// their status and carry AWS's JSON error shape instead.
func TestRecordedErrorsJSON(t *testing.T) {
	srv := sourcetest.NewServer()
	t.Cleanup(srv.Close)
	if err := sourcetest.SeedRecorded(srv); err != nil {
		t.Fatalf("SeedRecorded: %v", err)
	}
	h, err := NewHandler(newCache(t, srv.Clients()), WithToken(testToken), WithJSONErrors())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/systemsmanager/parameters/get?name=does-not-exist":                                         "ParameterNotFound",
		"/systemsmanager/parameters/get?name=%2Flambda-ext-test-param%2Fdummy-string-list&version=0": "",
		"/secretsmanager/get?secretId=dummy-string-secret&versionStage=DOESNOTEXIST":                 "ResourceNotFoundException",
	}
	for path, rc := range loadRecorded(t) {
		if rc.Response != nil {
			continue
		}
		w := serve(h, request("GET", path, testToken))
		if w.Code != rc.Status || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("GET %s with WithJSONErrors = %d %s %q; want %d application/json", path, w.Code, w.Header().Get("Content-Type"), w.Body, rc.Status)
			continue
		}
		e := errorOf(t, w)
		if code, ok := want[path]; !ok || code != "" && e.Type != code {
			t.Errorf("GET %s: __type %q; want %q", path, e.Type, code)
		}
	}
}
