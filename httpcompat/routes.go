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

// route is one path a handler of type H ([*Handler], [*CloudExtensions])
// answers. The tables of them, [routeTable] and [cloudRouteTable], are what
// ServeHTTP dispatches on, what [WithRoute] may not take and what the 404
// texts list.
type route[H any] struct {
	path   string // escaped
	prefix bool   // path is a prefix: the rest of the path is passed to serve
	slash  bool   // path+"/" is the same route
	method string // the only method the route matches; "" for any (serve checks it)
	public bool   // served before the token check, any method (serve checks it)
	usage  string // how the 404 text names it; "" leaves it out
	serve  func(h H, w http.ResponseWriter, r *http.Request, rest string)
	// json11 is the AWS JSON 1.1 protocol of the route's errors, nil for
	// the Secrets Manager extension's error shape (Cloud Extensions only).
	json11 *json11Protocol
}

// routeTable is the [Handler]'s routes, in the order the 404 text lists
// them.
var routeTable = [...]route[*Handler]{
	{path: routeParameter, slash: true, usage: routeParameter, serve: (*Handler).serveParameter},
	{path: routeSecret, slash: true, usage: routeSecret, serve: (*Handler).serveSecretQuery},
	{path: routeV1, prefix: true, usage: routeV1 + "{secretId}", serve: (*Handler).serveV1},
	{path: routeBatch, usage: routeBatch, serve: (*Handler).serveBatch},
	{path: routePing, public: true, usage: routePing, serve: (*Handler).servePing},
}

// notFoundText is the Handler's 404 message: every route of the table.
var notFoundText = "no such route: use GET " + usages(routeTable[:])

// usages lists the usage of every route of table that has one: "A, B or C".
func usages[H any](table []route[H]) string {
	var names []string
	for _, rt := range table {
		if rt.usage != "" {
			names = append(names, rt.usage)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// matchRoute returns the Handler's route of the escaped path and, for a
// prefix route, the rest of the path; nil if it has no such route.
func matchRoute(path string) (*route[*Handler], string) {
	return match(routeTable[:], path, "")
}

// match returns the route of table for path and method: a route of that
// method before a route of any method, then the first in table order.
func match[H any](table []route[H], path, method string) (*route[H], string) {
	for _, specific := range [...]bool{true, false} {
		for i := range table {
			rt := &table[i]
			if (rt.method != "") != specific || specific && rt.method != method {
				continue
			}
			switch {
			case path == rt.path || rt.slash && path == rt.path+"/":
				return rt, ""
			case rt.prefix && strings.HasPrefix(path, rt.path):
				return rt, path[len(rt.path):]
			}
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
