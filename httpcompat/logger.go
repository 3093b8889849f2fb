package httpcompat

import (
	"io"
	"log/slog"

	"github.com/parsec-go/parsec/lambdaenv"
)

// LevelNone is the slog level that PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=NONE
// maps to: above every level, so nothing is logged.
const LevelNone = lambdaenv.LevelNone

// NewLogger returns a logger writing JSON lines to w at level and above, as
// CloudWatch Logs reads them. level is usually the one
// PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL names; [LevelNone] (NONE) or a nil
// w gives a logger that writes nothing. It is lambdaenv.NewLogger.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return lambdaenv.NewLogger(w, level)
}
