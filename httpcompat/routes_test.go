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

// The Cloud Extensions API's routes are a table too: its 404 text is read
// from it, and a route of one method wins over a route of any method.
func TestCloudRouteTable(t *testing.T) {
	const want = "no such route: use POST /parameterstore, GET /secretsmanager/get?secretId=ID, GET /secretsmanager/ID, GET /v1/ID or POST /secretsmanager"
	if cloudNotFoundText != want {
		t.Errorf("cloud 404 text = %q; want %q", cloudNotFoundText, want)
	}
	for _, tt := range []struct {
		path, method string
		json11       *json11Protocol
		found        bool
	}{
		{"/parameterstore", "POST", ssmProtocol, true},
		{"/parameterstore/", "GET", ssmProtocol, true},
		{"/secretsmanager", "POST", secretsManagerProtocol, true},
		{"/secretsmanager/", "POST", secretsManagerProtocol, true},
		{"/secretsmanager", "GET", nil, true},
		{"/secretsmanager/get", "POST", nil, true},
		{"/secretsmanager/x", "GET", nil, true},
		{"/v1/x", "GET", nil, true},
		{"/nowhere", "GET", nil, false},
	} {
		rt, _ := match(cloudRouteTable[:], tt.path, tt.method)
		if (rt != nil) != tt.found || rt != nil && rt.json11 != tt.json11 {
			t.Errorf("match(%s %s) = %+v; want found %v with protocol %p", tt.method, tt.path, rt, tt.found, tt.json11)
		}
	}
}

func TestCloudOptionScope(t *testing.T) {
	c := newCache(t, (&upstream{}).clients())
	if _, err := NewCloudExtensions(c, WithoutAuthentication(), WithToken(testToken)); err == nil || !strings.Contains(err.Error(), "WithToken") {
		t.Errorf("NewCloudExtensions(WithToken) = %v; want an error naming it", err)
	}
	if _, err := NewHandler(c, WithToken(testToken), WithExtensionKey(ExtensionKey{ID: "id", Secret: "s"})); err == nil || !strings.Contains(err.Error(), "WithExtensionKey") {
		t.Errorf("NewHandler(WithExtensionKey) = %v; want an error naming it", err)
	}
	if _, err := NewCloudExtensions(c, WithoutAuthentication(), WithLogger(nil)); err != nil {
		t.Errorf("NewCloudExtensions(WithLogger) = %v; want nil", err)
	}
}
