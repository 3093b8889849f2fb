package httpcompat

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/parsec-go/parsec/cache"
)

// TestCloudInFlightBound holds MaxCloudInFlight requests in the upstream;
// the next one, on each route, gets 429 ThrottlingException with
// Retry-After in its route's shape at once; once they end, a request is
// served again.
func TestCloudInFlightBound(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(MaxCloudInFlight)
	u := &upstream{onParam: func(string) { started.Done(); <-release }}
	h, err := NewCloudExtensions(newCache(t, u.clients(), cache.WithMaxLoads(2*MaxCloudInFlight)), WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	var done sync.WaitGroup
	for i := range MaxCloudInFlight {
		done.Go(func() {
			m, b, hd := ssmCall("GetParameter", fmt.Sprintf(`{"Name":"/held/%d"}`, i))
			if w := serve(h, cloudRequest(t, m, "/parameterstore", b, hd, ExtensionKey{}, "")); w.Code != 200 {
				t.Errorf("held request %d: %d %s", i, w.Code, w.Body)
			}
		})
	}
	started.Wait()
	m, b, hd := ssmCall("GetParameter", `{"Name":"/one-more"}`)
	for _, r := range []*http.Request{
		cloudRequest(t, m, "/parameterstore", b, hd, ExtensionKey{}, ""),
		cloudRequest(t, http.MethodGet, "/secretsmanager/"+secretName, "", nil, ExtensionKey{}, ""),
	} {
		w := serve(h, r)
		if w.Code != http.StatusTooManyRequests || w.Header().Get(ErrorTypeHeader) != "ThrottlingException" || w.Header().Get("Retry-After") != "1" {
			t.Errorf("%s %s beyond %d in flight: %d %v %s; want 429 ThrottlingException with Retry-After", r.Method, r.URL.Path, MaxCloudInFlight, w.Code, w.Header(), w.Body)
		}
	}
	close(release)
	done.Wait()
	if w := serve(h, cloudRequest(t, http.MethodGet, "/secretsmanager/"+secretName, "", nil, ExtensionKey{}, "")); w.Code != 200 {
		t.Errorf("after the held requests ended: %d; want 200", w.Code)
	}
}
