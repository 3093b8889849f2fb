package main

import (
	"errors"
	"io"
	"testing"

	"github.com/parsec-go/parsec/lambdaenv"
)

// parseConfig's errors are typed: a bad flag or parsecd variable is a
// *settingError naming it, a bad extension variable a *lambdaenv.VarError
// (inside an *envError), matched with errors.As, never by their text.
func TestConfigErrorsAreTyped(t *testing.T) {
	env := func(kv ...string) func(string) string { return envMap(kv...) }
	for _, tt := range []struct {
		args []string
		env  func(string) string
		name string // of the *settingError; "" for a *lambdaenv.VarError
		v    string
	}{
		{[]string{"--port", "70000"}, env(), "--port", "70000"},
		{[]string{"--log-level", "LOUD"}, env(lambdaenv.EnvLogLevel, "INFO"), "--log-level", "LOUD"},
		{[]string{"--ttl", "-1s"}, env(), "--ttl", "-1s"},
		{nil, env(envMode, "x"), envMode, "x"},
		{[]string{"--max-concurrent", "0"}, env(), "--max-concurrent", "0"},
		{nil, env(envJSONErrors, "on"), envJSONErrors, "on"},
		{[]string{"--emulate", "f", "--latency", "fast"}, env(), "--latency", "fast"},
		{nil, env(envMetrics, "yes"), envMetrics, "yes"},
		{nil, env(lambdaenv.EnvSecretTTL, "x"), "", lambdaenv.EnvSecretTTL},
	} {
		_, err := parseConfig(tt.args, tt.env, io.Discard)
		var se *settingError
		var ve *lambdaenv.VarError
		switch {
		case tt.name != "" && (!errors.As(err, &se) || se.Name != tt.name || se.Value != tt.v):
			t.Errorf("parseConfig(%q) = %v; want a *settingError{%s, %q}", tt.args, err, tt.name, tt.v)
		case tt.name == "" && (!errors.As(err, &ve) || ve.Var != tt.v):
			t.Errorf("parseConfig(%q) = %v; want a *lambdaenv.VarError for %s", tt.args, err, tt.v)
		}
	}
	// A flag overrides its variable: the variable is not checked.
	if _, err := parseConfig([]string{"--log-level", "DEBUG", "--ttl", "1m", "--port", "0"},
		env(lambdaenv.EnvLogLevel, "LOUD", lambdaenv.EnvParameterTTL, "x", lambdaenv.EnvHTTPPort, "y"), io.Discard); err != nil {
		t.Errorf("parseConfig(flags over bad variables) = %v; want nil", err)
	}
}
