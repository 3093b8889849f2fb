package httpcompat

import (
	"net/http"
	"net/url"
	"strings"
)

// The routes' paths.
const (
	routeParameter = "/systemsmanager/parameters/get"
	routeSecret    = "/secretsmanager/get"
	routeV1        = "/v1/"
	routePing      = "/ping"
	// routeBatch is parsec's addition to the extension's API: several
	// parameters in one request. Its path is outside the extension's, so it
	// cannot collide with anything an extension client sends.
	routeBatch = "/parsec/v1/parameters"
)

// route is one path the [Handler] answers itself. The table of them,
// [routeTable], is what ServeHTTP dispatches on, what [WithRoute] may not
// take and what the 404 text lists.
type route struct {
	path   string // escaped
	prefix bool   // path is a prefix: the rest of the path is passed to serve
	slash  bool   // path+"/" is the same route
	public bool   // served before the token check, any method (serve checks it)
	usage  string // how the 404 text names it
	serve  func(h *Handler, w http.ResponseWriter, r *http.Request, rest string)
}

// routeTable is the handler's routes, in the order the 404 text lists them.
var routeTable = [...]route{
	{path: routeParameter, slash: true, usage: routeParameter, serve: (*Handler).serveParameter},
	{path: routeSecret, slash: true, usage: routeSecret, serve: (*Handler).serveSecretQuery},
	{path: routeV1, prefix: true, usage: routeV1 + "{secretId}", serve: (*Handler).serveV1},
	{path: routeBatch, usage: routeBatch, serve: (*Handler).serveBatch},
	{path: routePing, public: true, usage: routePing, serve: (*Handler).servePing},
}

// notFoundText is the 404's message: every route of the table.
var notFoundText = func() string {
	names := make([]string, len(routeTable))
	for i, rt := range routeTable {
		names[i] = rt.usage
	}
	return "no such route: use GET " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}()

// matchRoute returns the route of the escaped path and, for a prefix route,
// the rest of the path; nil if the handler has no such route.
func matchRoute(path string) (*route, string) {
	for i := range routeTable {
		rt := &routeTable[i]
		switch {
		case path == rt.path || rt.slash && path == rt.path+"/":
			return rt, ""
		case rt.prefix && strings.HasPrefix(path, rt.path):
			return rt, path[len(rt.path):]
		}
	}
	return nil, ""
}

func (h *Handler) servePing(w http.ResponseWriter, r *http.Request, _ string) {
	if r.Method != http.MethodGet {
		h.methodNotAllowed(r, w)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("healthy"))
}

func (h *Handler) serveSecretQuery(w http.ResponseWriter, r *http.Request, _ string) {
	h.serveSecret(w, r, "")
}

// serveV1 answers GET /v1/{secretId}; rest is the escaped secret id.
func (h *Handler) serveV1(w http.ResponseWriter, r *http.Request, rest string) {
	id, err := url.PathUnescape(rest)
	if err != nil {
		h.fail(r, w, routeV1, &requestError{field: "secretId", rule: ruleEncoding})
		return
	}
	if id == "" {
		h.fail(r, w, routeV1, &requestError{field: "secretId", rule: ruleRequired + " (GET /v1/{secretId})"})
		return
	}
	if err := checkText("secretId", id); err != nil {
		h.fail(r, w, routeV1, err)
		return
	}
	h.serveSecret(w, r, id)
}
