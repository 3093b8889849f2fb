package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
)

// The Cloud Extensions API (httpcompat.CloudExtensions): its switches,
// each a flag and a variable.
const (
	envCloudExt       = "PARSECD_CLOUD_EXTENSIONS"                  // TRUE: serve the Cloud Extensions API too
	envCloudExtPort   = "PARSECD_CLOUD_EXTENSIONS_PORT"             // its port (5333)
	envCloudExtAuth   = "PARSECD_CLOUD_EXTENSIONS_AUTH"             // none or extension-key
	envKeyID          = "PARSECD_EXTENSION_KEY_ID"                  // the extension key's access key id
	envKeySecret      = "PARSECD_EXTENSION_KEY_SECRET"              // its secret key
	envKeySecretFile  = "PARSECD_EXTENSION_KEY_SECRET_FILE"         // or a file holding it
	envCloudExtSSRF   = "PARSECD_CLOUD_EXTENSIONS_SSRF_TOKEN_CHECK" // FALSE: no SSRF token on the Secrets Manager GET routes
	authNone          = "none"
	authExtensionKey  = "extension-key"
	maxKeySecretBytes = 4096 // a secret key file larger than this is refused
)

// cloudExt is the parsed configuration of the Cloud Extensions API.
type cloudExt struct {
	on   bool
	ssrf bool                     // the SSRF token check of the Secrets Manager GET routes
	port int                      // 0: a free port (tests)
	key  *httpcompat.ExtensionKey // nil with auth none
}

type cloudExtFlags struct {
	on, ssrf   *bool
	port, auth *string
}

func addCloudExtFlags(fs *flag.FlagSet) *cloudExtFlags {
	return &cloudExtFlags{
		on:   fs.Bool("cloud-extensions", false, "also serve AWS Systems Manager Cloud Extensions' API (POST /parameterstore, GET /secretsmanager/ID, …) on 127.0.0.1 and [::1] ("+envCloudExt+"=TRUE)"),
		port: fs.String("cloud-extensions-port", "", "the Cloud Extensions API's `PORT`, 0 for a free one ("+envCloudExtPort+", default "+strconv.Itoa(httpcompat.CloudExtensionsPort)+")"),
		ssrf: fs.Bool("cloud-extensions-ssrf-token-check", true, "check the SSRF token (the :2773 API's token, in X-Aws-Parameters-Secrets-Token or X-Vault-Token) on the Secrets Manager GET routes of the Cloud Extensions API, as Cloud Extensions does by default ("+envCloudExtSSRF+", default TRUE)"),
		auth: fs.String("cloud-extensions-auth", "", "`MODE` of the Cloud Extensions API: extension-key (SigV4 with the key of "+envKeyID+" and "+envKeySecret+" or "+envKeySecretFile+") or none, local use only ("+envCloudExtAuth+", default extension-key)"),
	}
}

// parse reads the flags set and, for the others, the variables. The
// secret key is read here (from its variable or file), so a bad one is a
// configuration error before anything is served; errors never hold it.
func (f *cloudExtFlags) parse(set map[string]bool, getenv func(string) string) (cloudExt, error) {
	var c cloudExt
	var err error
	if c.on, err = boolSetting(set["cloud-extensions"], *f.on, "--cloud-extensions", getenv, envCloudExt); err != nil {
		return c, err
	}
	if !c.on {
		if set["cloud-extensions-port"] || set["cloud-extensions-auth"] || set["cloud-extensions-ssrf-token-check"] {
			return c, usagef("--cloud-extensions-port, --cloud-extensions-auth and --cloud-extensions-ssrf-token-check need --cloud-extensions (or %s=TRUE)", envCloudExt)
		}
		return c, nil
	}
	c.ssrf = true
	if set["cloud-extensions-ssrf-token-check"] || strings.TrimSpace(getenv(envCloudExtSSRF)) != "" {
		if c.ssrf, err = boolSetting(set["cloud-extensions-ssrf-token-check"], *f.ssrf, "--cloud-extensions-ssrf-token-check", getenv, envCloudExtSSRF); err != nil {
			return c, err
		}
	}
	if c.port, err = cloudPort(flagOrEnv(set["cloud-extensions-port"], *f.port, getenv, envCloudExtPort)); err != nil {
		return c, err
	}
	c.key, err = extensionKey(flagOrEnv(set["cloud-extensions-auth"], *f.auth, getenv, envCloudExtAuth), getenv)
	return c, err
}

// cloudPort parses --cloud-extensions-port; "" is Cloud Extensions' port.
func cloudPort(port string) (int, error) {
	if port == "" {
		return httpcompat.CloudExtensionsPort, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return 0, usagef("--cloud-extensions-port %q: must be from 1 to 65535, or 0 for a free port", port)
	}
	return n, nil
}

// extensionKey returns the extension key the authentication auth needs
// (nil for none), read from the environment and checked.
func extensionKey(auth string, getenv func(string) string) (*httpcompat.ExtensionKey, error) {
	id := strings.TrimSpace(getenv(envKeyID))
	secret, err := keySecret(getenv)
	if err != nil {
		return nil, err
	}
	switch auth {
	case "", authExtensionKey:
		if id == "" || secret == "" {
			return nil, usagef("the Cloud Extensions API needs an extension key: set %s and %s (or %s), or give --cloud-extensions-auth none for local use", envKeyID, envKeySecret, envKeySecretFile)
		}
		k := httpcompat.ExtensionKey{ID: id, Secret: strings.TrimSpace(secret)}
		if err := k.Validate(); err != nil {
			return nil, usagef("%s, %s: %v", envKeyID, envKeySecret, err) // the key's rule, never the secret
		}
		return &k, nil
	case authNone:
		if id != "" || secret != "" {
			return nil, usagef("--cloud-extensions-auth none, but an extension key is set (%s): remove one", envKeyID)
		}
		return nil, nil
	}
	return nil, usagef("--cloud-extensions-auth %q: must be extension-key or none", auth)
}

// keySecret returns the extension key's secret key, from its variable or
// its file (not both).
func keySecret(getenv func(string) string) (string, error) {
	secret, file := getenv(envKeySecret), strings.TrimSpace(getenv(envKeySecretFile))
	switch {
	case secret != "" && file != "":
		return "", usagef("%s and %s are both set: give one", envKeySecret, envKeySecretFile)
	case file == "":
		return secret, nil
	}
	b, err := readSmallFile(file)
	if err != nil {
		return "", usagef("%s %q: %v", envKeySecretFile, file, err)
	}
	secret = strings.TrimSpace(string(b))
	if secret == "" {
		return "", usagef("%s %q: the file is empty", envKeySecretFile, file)
	}
	return secret, nil
}

// readSmallFile reads a file of at most maxKeySecretBytes.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeySecretBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeySecretBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxKeySecretBytes)
	}
	return b, nil
}

// cloudOptions returns the options of the Cloud Extensions API: its
// authentication, and the SSRF token check of its Secrets Manager GET
// routes with the token of the :2773 API (none with --insecure-no-token or
// --cloud-extensions-ssrf-token-check=false).
func (r *runner) cloudOptions() []httpcompat.Option {
	opts := []httpcompat.Option{httpcompat.WithLogger(r.log)}
	if k := r.cfg.cloud.key; k != nil {
		opts = append(opts, httpcompat.WithExtensionKey(*k))
	} else {
		r.log.Warn("parsecd: --cloud-extensions-auth none: the Cloud Extensions API serves unsigned requests; any local process can read every value. Local use only.")
		opts = append(opts, httpcompat.WithoutAuthentication())
	}
	if t := r.token; t != "" && r.cfg.cloud.ssrf {
		opts = append(opts, httpcompat.WithSSRFToken(t))
	}
	return opts
}

// cloudMarked is the context key of requests that arrived on the Cloud
// Extensions listener.
type cloudMarked struct{}

// markCloud marks every request h serves as the Cloud Extensions API's.
func markCloud(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), cloudMarked{}, true)))
	})
}

// apis serves one cache's two APIs: the extension's, and Cloud
// Extensions' for the requests markCloud marked. One handler per cache
// lets the emulator swap both at once when its file changes.
type apis struct {
	compat, cloud http.Handler
}

func (a apis) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Context().Value(cloudMarked{}) != nil {
		a.cloud.ServeHTTP(w, r)
		return
	}
	a.compat.ServeHTTP(w, r)
}

// withCloudExtensions makes build's handlers serve the Cloud Extensions
// API too, over the same cache.
func (r *runner) withCloudExtensions(build func(*cache.Cache) (http.Handler, error)) func(*cache.Cache) (http.Handler, error) {
	opts := r.cloudOptions()
	return func(c *cache.Cache) (http.Handler, error) {
		compat, err := build(c)
		if err != nil {
			return nil, err
		}
		cloud, err := httpcompat.NewCloudExtensions(c, opts...)
		if err != nil {
			return nil, err
		}
		return apis{compat: compat, cloud: cloud}, nil
	}
}

// listenCloud serves h's Cloud Extensions API on its port of 127.0.0.1
// and [::1], when it is on; it returns the server in a slice of one, or
// none.
func (r *runner) listenCloud(h http.Handler) ([]*httpcompat.Server, error) {
	if !r.cfg.cloud.on {
		return nil, nil
	}
	sopts := []httpcompat.Option{httpcompat.WithLogger(r.log), httpcompat.WithMaxConcurrent(r.cfg.maxConcurrent),
		httpcompat.WithMaxOpenConnections(r.cfg.maxOpenConns)}
	srv, err := httpcompat.ListenLocalhost(r.cfg.cloud.port, markCloud(h), sopts...)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on localhost port %d for the Cloud Extensions API (--cloud-extensions-port or %s): %w", r.cfg.cloud.port, envCloudExtPort, err)
	}
	auth := authNone
	if r.cfg.cloud.key != nil {
		auth = authExtensionKey
	}
	r.log.Info("parsecd: serving the Cloud Extensions API", "addr", strings.Join(srv.Addrs(), " "), "auth", auth,
		"apiVersion", httpcompat.CloudExtensionsAPIVersion, "ssrfTokenCheck", r.token != "" && r.cfg.cloud.ssrf)
	if r.hooks != nil && r.hooks.cloudReady != nil {
		r.hooks.cloudReady(srv.URL())
	}
	return []*httpcompat.Server{srv}, nil
}
