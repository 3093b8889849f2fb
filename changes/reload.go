package changes

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// referencePrefix names a secret read through Parameter Store.
const referencePrefix = "/aws/reference/secretsmanager/"

// reload reads again, with Refresh, every hot read that one of changes
// names, each once, one after another, each bounded by the call timeout. A
// failure is counted and logged; the invalidation stands, so the next read
// goes upstream anyway.
func (p *Poller) reload(ctx context.Context, changes []Change) {
	if p.read == nil || len(changes) == 0 {
		return
	}
	params, secrets := map[string]bool{}, map[string]bool{}
	for _, ch := range changes {
		for _, n := range ch.Names {
			if ch.Kind == KindSecret {
				secrets[canonicalSecret(n)] = true
			} else {
				params[canonicalParameter(n)] = true
			}
		}
	}
	for _, r := range p.o.hotParams {
		if ctx.Err() != nil {
			return
		}
		id, isRef := strings.CutPrefix(stripSelector(r.Name), referencePrefix)
		if isRef && secrets[canonicalSecret(id)] || !isRef && params[canonicalParameter(r.Name)] {
			p.reloadOne(ctx, r.Name, func(ctx context.Context) error { _, err := p.read.Parameter(ctx, r); return err })
		}
	}
	for _, r := range p.o.hotSecrets {
		if ctx.Err() != nil {
			return
		}
		if secrets[canonicalSecret(r.SecretID)] {
			p.reloadOne(ctx, r.SecretID, func(ctx context.Context) error { _, err := p.read.Secret(ctx, r); return err })
		}
	}
}

func (p *Poller) reloadOne(ctx context.Context, name string, read func(context.Context) error) {
	rctx, cancel := context.WithTimeout(ctx, p.o.callTimeout)
	defer cancel()
	start := time.Now()
	if err := read(rctx); err != nil {
		p.reloadErrors.Add(1)
		p.log.LogAttrs(ctx, slog.LevelWarn, "changes: reload of a hot read failed; the next read goes upstream",
			slog.String("name", name), slog.Duration("waited", time.Since(start)), slog.Any("error", err))
		return
	}
	p.reloads.Add(1)
}

// canonicalParameter is the form every form of a parameter name shares, as
// the cache's invalidation sees it: "arn:aws:ssm:r:a:parameter/app/db:3",
// "/app/db" and "/app/db:label" give "/app/db"; "db" and "/db" give "/db".
func canonicalParameter(name string) string {
	if strings.HasPrefix(name, "arn:") {
		if i := strings.Index(name, ":parameter/"); i >= 0 {
			name = name[i+len(":parameter"):]
		}
	}
	name = stripSelector(name)
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return name
}

// stripSelector drops a ":version" or ":label" from a name that is not an
// ARN.
func stripSelector(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[:i]
	}
	return name
}

// canonicalSecret is the form a secret's name and its ARN share: for an
// ARN, the part after "secret:" without the six-character suffix Secrets
// Manager appends.
func canonicalSecret(id string) string {
	if strings.HasPrefix(id, "arn:") {
		if i := strings.Index(id, ":secret:"); i >= 0 {
			id = id[i+len(":secret:"):]
			if n := len(id); n >= 8 && id[n-7] == '-' && !slices.ContainsFunc([]byte(id[n-6:]), notAlnum) {
				id = id[:n-7]
			}
		}
	}
	return id
}

func notAlnum(c byte) bool {
	return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
}
