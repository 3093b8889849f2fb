package httpcompat

import (
	"io"
	"log/slog"

	"github.com/parsec-go/parsec/cache"
)

// NewLogger returns a logger writing JSON lines to w at level and above, as
// CloudWatch Logs reads them. level is usually cache.Env.LogLevel;
// [cache.LevelNone] (PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=NONE) or a nil
// w gives a logger that writes nothing.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	if w == nil || level >= cache.LevelNone {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
