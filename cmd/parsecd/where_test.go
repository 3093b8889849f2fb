package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestWhereFlags(t *testing.T) {
	base := map[string]string{"AWS_TOKEN": "t"}
	getenv := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	c, err := parseConfig([]string{"--failover-regions", "us-west-2, eu-west-1", "--max-roles", "5"}, getenv(nil), io.Discard)
	if err != nil || !slices.Equal(c.where.failoverRegions, []string{"us-west-2", "eu-west-1"}) || c.where.maxRoles != 5 {
		t.Fatalf("flags = %+v, %v", c, err)
	}
	if len(c.where.cacheOptions()) != 1 || len(c.where.sourceOptions()) != 1 {
		t.Errorf("options: %d cache, %d source; want 1, 1", len(c.where.cacheOptions()), len(c.where.sourceOptions()))
	}
	c, err = parseConfig(nil, getenv(map[string]string{envFailoverRegions: "us-east-2", envMaxRoles: "7"}), io.Discard)
	if err != nil || !slices.Equal(c.where.failoverRegions, []string{"us-east-2"}) || c.where.maxRoles != 7 {
		t.Fatalf("env = %+v, %v", c.where, err)
	}
	c, err = parseConfig(nil, getenv(nil), io.Discard)
	if err != nil || c.where.failoverRegions != nil || c.where.maxRoles != 0 || c.where.cacheOptions() != nil {
		t.Fatalf("defaults = %+v, %v", c.where, err)
	}
	for _, tt := range []struct {
		args []string
		env  map[string]string
		text string
	}{
		{[]string{"--failover-regions", "zz-fake-1"}, nil, "--failover-regions"},
		{nil, map[string]string{envFailoverRegions: "us-west-2,nowhere"}, envFailoverRegions},
		{[]string{"--max-roles", "0"}, nil, "--max-roles"},
		{nil, map[string]string{envMaxRoles: "many"}, envMaxRoles},
	} {
		_, err := parseConfig(tt.args, getenv(tt.env), io.Discard)
		if !isUsage(err) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("parseConfig(%q, %v) = %v; want a usage error naming %s", tt.args, tt.env, err, tt.text)
		}
	}
}
