package httpcompat

import (
	"io"
	"log/slog"

	"github.com/parsec-go/parsec/internal/extenv"
)

// LevelNone is the slog level that PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=NONE
// maps to: above every level, so nothing is logged.
const LevelNone = extenv.LevelNone

// NewLogger returns a logger writing JSON lines to w at level and above, as
// CloudWatch Logs reads them. level is usually the one
// PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL names; [LevelNone] (NONE) or a nil
// w gives a logger that writes nothing.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	if w == nil || level >= LevelNone {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
