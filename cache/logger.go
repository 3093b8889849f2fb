package cache

import (
	"context"
	"log/slog"
)

// newLogger returns the logger the cache writes to: cfg.logger, or
// slog.Default() (looked up at each record, so a default set after New is
// used), dropping the records below the level of the environment or, for
// slog.Default(), below WARN.
func newLogger(cfg config) *slog.Logger {
	min := slog.LevelWarn
	if cfg.envLevel != nil {
		min = *cfg.envLevel
	}
	if cfg.logger != nil {
		if cfg.envLevel == nil {
			return cfg.logger
		}
		return slog.New(levelHandler{next: cfg.logger.Handler(), min: min})
	}
	return slog.New(levelHandler{min: min})
}

// levelHandler passes the records at or above min to next, or, when next
// is nil, to slog.Default()'s handler at the time of the record.
type levelHandler struct {
	next slog.Handler
	min  slog.Level
}

func (h levelHandler) handler() slog.Handler {
	if h.next != nil {
		return h.next
	}
	return slog.Default().Handler()
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.handler().Enabled(ctx, l)
}

func (h levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.handler().Handle(ctx, r)
}

func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{next: h.handler().WithAttrs(as), min: h.min}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{next: h.handler().WithGroup(name), min: h.min}
}
