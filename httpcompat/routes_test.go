package httpcompat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The 404 text, the reserved paths of WithRoute and the dispatch all read
// the route table (issue 21, item 7): every route is named in the 404 text,
// refused by WithRoute and answered by its own code.
func TestRouteTable(t *testing.T) {
	for _, rt := range routeTable {
		if !strings.Contains(notFoundText, rt.usage) {
			t.Errorf("404 text %q does not name %s", notFoundText, rt.usage)
		}
		path := rt.path
		if rt.prefix {
			path += "x"
		}
		if _, err := NewHandler(newCache(t, (&upstream{}).clients()), WithToken(testToken),
			WithRoute(path, http.NotFoundHandler())); err == nil {
			t.Errorf("WithRoute(%q) = nil error; want the path refused as the handler's own", path)
		}
		got, _ := matchRoute(path)
		if got == nil || got.path != rt.path {
			t.Errorf("matchRoute(%q) = %v; want the route %s", path, got, rt.path)
		}
	}
	h, _, _ := newTestHandler(t)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/nowhere", testToken))
	if w.Code != 404 || w.Body.String() != notFoundText || !strings.Contains(w.Body.String(), routeBatch) {
		t.Errorf("GET /nowhere = %d %q; want 404 naming every route, %s included", w.Code, w.Body.String(), routeBatch)
	}
}

// One option type: an option given where it does not apply is an error
// naming it, not silently ignored.
func TestOptionScope(t *testing.T) {
	h, _, _ := newTestHandler(t)
	for name, o := range map[string]Option{"WithToken": WithToken("t"), "WithoutTokenCheck": WithoutTokenCheck(),
		"WithRoute": WithRoute("/x", http.NotFoundHandler())} {
		if s, err := Listen("127.0.0.1:0", h, o); err == nil || !strings.Contains(err.Error(), name) {
			if s != nil {
				_ = s.Close()
			}
			t.Errorf("Listen(%s) = %v; want an error naming it", name, err)
		}
	}
	for name, o := range map[string]Option{"WithMaxConcurrent": WithMaxConcurrent(2), "WithMaxOpenConnections": WithMaxOpenConnections(2)} {
		if _, err := NewHandler(newCache(t, (&upstream{}).clients()), WithToken(testToken), o); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("NewHandler(%s) = %v; want an error naming it", name, err)
		}
	}
	s, err := Listen("127.0.0.1:0", h, WithLogger(nil), WithJSONErrors(), WithMaxConcurrent(2))
	if err != nil {
		t.Fatalf("Listen(shared and server options) = %v", err)
	}
	_ = s.Close()
}
