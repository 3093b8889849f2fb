package lambdaenv

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseEnvDefaults(t *testing.T) {
	e, err := Parse(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{CacheEnabled: true, CacheSize: 1000, HTTPPort: 2773, MaxConnections: 3, LogLevel: 0,
		ParameterTTL: 300 * time.Second, SecretTTL: 300 * time.Second}
	if e != want {
		t.Errorf("Parse(empty) = %+v; want %+v", e, want)
	}
}

func TestParseEnvValues(t *testing.T) {
	e, err := Parse(envOf(map[string]string{
		EnvCacheEnabled: "false", EnvCacheSize: "0", EnvHTTPPort: "8080", EnvMaxConnections: "10",
		EnvLogLevel: "none", EnvParameterTTL: "3600", EnvSecretTTL: "0",
		EnvParameterTimeout: "1500", EnvSecretTimeout: " 20 ",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{CacheEnabled: false, CacheSize: 0, HTTPPort: 8080, MaxConnections: 10, LogLevel: LevelNone, LogLevelSet: true,
		ParameterTTL: time.Hour, SecretTTL: 0, ParameterTimeout: 1500 * time.Millisecond, SecretTimeout: 20 * time.Millisecond}
	if e != want {
		t.Errorf("ParseEnv = %+v; want %+v", e, want)
	}
	if notes := e.Notes(); len(notes) != 1 || !strings.Contains(notes[0], EnvParameterTTL) {
		t.Errorf("Notes() = %q; want one note naming %s", notes, EnvParameterTTL)
	}
}

func TestParseEnvErrors(t *testing.T) {
	tests := []struct {
		name, value, rule string
	}{
		{EnvCacheEnabled, "yes", "TRUE or FALSE"},
		{EnvCacheSize, "-1", "from 0 to"},
		{EnvCacheSize, "ten", "from 0 to"},
		{EnvHTTPPort, "0", "from 1 to 65535"},
		{EnvHTTPPort, "65536", "from 1 to 65535"},
		{EnvMaxConnections, "0", "from 1 to"},
		{EnvLogLevel, "verbose", "DEBUG, INFO, WARN, ERROR, NONE"},
		{EnvParameterTTL, "-5", "from 0 to"},
		{EnvParameterTTL, "1.5", "from 0 to"},
		{EnvSecretTTL, "9999999999", "from 0 to"},
		{EnvParameterTimeout, "-1", "from 0 to"},
		{EnvSecretTimeout, "1s", "from 0 to"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Parse(envOf(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("Parse(%s=%q) = nil error", tt.name, tt.value)
			}
			msg := err.Error()
			for _, want := range []string{tt.name, tt.value, tt.rule} {
				if !strings.Contains(msg, strings.TrimSpace(want)) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			var ve *VarError
			if !errors.As(err, &ve) || ve.Var != tt.name || ve.Value != strings.TrimSpace(tt.value) || !strings.Contains(ve.Rule, tt.rule) {
				t.Errorf("errors.As(%v) = %+v; want a *VarError{%s, %q, ...%s...}", err, ve, tt.name, tt.value, tt.rule)
			}
		})
	}
	// Every bad variable is reported at once.
	_, err := Parse(envOf(map[string]string{EnvHTTPPort: "x", EnvSecretTTL: "y"}))
	if err == nil || !strings.Contains(err.Error(), EnvHTTPPort) || !strings.Contains(err.Error(), EnvSecretTTL) {
		t.Errorf("Parse(two bad) = %v; want both named", err)
	}
	var vars []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if ve, ok := e.(*VarError); ok {
				vars = append(vars, ve.Var)
			}
		}
	}
	if strings.Join(vars, " ") != EnvHTTPPort+" "+EnvSecretTTL {
		t.Errorf("Parse(two bad) joins *VarErrors for %q; want %s and %s", vars, EnvHTTPPort, EnvSecretTTL)
	}
}

func TestSetOverrides(t *testing.T) {
	s := Defaults()
	if err := s.Set(EnvLogLevel, "debug"); err != nil || s.LogLevel != -4 || !s.LogLevelSet {
		t.Errorf("Set(LOG_LEVEL, debug) = %v, level %v set %v; want nil, DEBUG, true", err, s.LogLevel, s.LogLevelSet)
	}
	before := s
	var ve *VarError
	if err := s.Set(EnvCacheSize, "-3"); !errors.As(err, &ve) || ve.Var != EnvCacheSize || s != before {
		t.Errorf("Set(CACHE_SIZE, -3) = %v, settings %+v; want a *VarError and no change", err, s)
	}
	if err := s.Set("NOT_A_VARIABLE", "1"); err == nil {
		t.Error("Set(NOT_A_VARIABLE) = nil error")
	}
	if _, err := Parse(nil); err == nil {
		t.Error("Parse(nil) = nil error")
	}
}
