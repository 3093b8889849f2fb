package main

import (
	"flag"
	"strconv"
	"strings"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// Where values come from: replica regions for failover and the bound on
// roles (roleArn= on the routes).
const (
	envFailoverRegions = "PARSECD_FAILOVER_REGIONS"
	envMaxRoles        = "PARSECD_MAX_ROLES"
	maxRolesLimit      = 1000
)

// where is the parsed --failover-regions and --max-roles.
type where struct {
	failoverRegions []string
	maxRoles        int // 0: source.DefaultMaxRoles
}

type whereFlags struct {
	failover, maxRoles *string
}

func addWhereFlags(fs *flag.FlagSet) *whereFlags {
	return &whereFlags{
		failover: fs.String("failover-regions", "", "read a secret from these replica `REGIONS` (comma-separated, in order) when its own region fails transiently and no stale value is left ("+envFailoverRegions+", default none)"),
		maxRoles: fs.String("max-roles", "", "keep credentials for at most `N` roles of roleArn= at once, least recently used dropped ("+envMaxRoles+", default "+strconv.Itoa(source.DefaultMaxRoles)+", the Secrets Manager Agent's max_roles)"),
	}
}

func (f *whereFlags) parse(set map[string]bool, getenv func(string) string) (where, error) {
	var w where
	name, v := "--failover-regions", *f.failover
	if !set["failover-regions"] {
		name, v = envFailoverRegions, getenv(envFailoverRegions)
	}
	for r := range strings.SplitSeq(v, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if err := source.CheckRegion(r, r); err != nil {
			return w, &settingError{Name: name, Value: v, Rule: err.Error()}
		}
		w.failoverRegions = append(w.failoverRegions, r)
	}
	name, v = "--max-roles", *f.maxRoles
	if !set["max-roles"] {
		name, v = envMaxRoles, strings.TrimSpace(getenv(envMaxRoles))
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRolesLimit {
			return w, &settingError{Name: name, Value: v, Rule: "must be a whole number from 1 to " + strconv.Itoa(maxRolesLimit)}
		}
		w.maxRoles = n
	}
	return w, nil
}

// sourceOptions and cacheOptions are where's options.
func (w where) sourceOptions() []source.Option {
	return []source.Option{source.WithMaxRoles(w.maxRoles)}
}

func (w where) cacheOptions() []cache.Option {
	if len(w.failoverRegions) == 0 {
		return nil
	}
	return []cache.Option{cache.WithFailoverRegions(w.failoverRegions...)}
}
