package changes

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/parsec-go/parsec/cache"
)

// Defaults and bounds of the options.
const (
	DefaultWait        = 20 * time.Second // SQS's longest long poll
	DefaultBatch       = 10               // SQS's largest ReceiveMessage batch
	DefaultBackoff     = time.Second      // first wait after a failed receive
	DefaultMaxBackoff  = time.Minute      // longest wait between failed receives
	DefaultCallTimeout = 10 * time.Second // a DeleteMessageBatch, a reload
	// MaxHot bounds the reads WithHotParameters and WithHotSecrets name
	// together.
	MaxHot = 256
	// minEmptyInterval spaces receives that return nothing at once (a
	// queue or a fake that does not long-poll): at most one a second.
	minEmptyInterval = time.Second
)

// Option configures [Start].
type Option func(*options) error

type options struct {
	wait        time.Duration
	batch       int
	backoff     time.Duration
	maxBackoff  time.Duration
	callTimeout time.Duration
	log         *slog.Logger
	notify      func(Change)
	hotParams   []cache.ParameterRequest
	hotSecrets  []cache.SecretRequest
}

func defaults() options {
	return options{wait: DefaultWait, batch: DefaultBatch, backoff: DefaultBackoff,
		maxBackoff: DefaultMaxBackoff, callTimeout: DefaultCallTimeout}
}

// WithWait sets ReceiveMessage's WaitTimeSeconds: how long one call waits
// for a message. It must be whole seconds from 1 s to 20 s; the default,
// [DefaultWait], makes the fewest calls (180 an hour on an idle queue). A
// message is handled as soon as it arrives whatever the wait.
func WithWait(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Second || d > DefaultWait || d%time.Second != 0 {
			return fmt.Errorf("changes: WithWait(%v): must be whole seconds from 1s to 20s", d)
		}
		o.wait = d
		return nil
	}
}

// WithBatch sets ReceiveMessage's MaxNumberOfMessages, 1 to 10. The
// default is [DefaultBatch].
func WithBatch(n int) Option {
	return func(o *options) error {
		if n < 1 || n > DefaultBatch {
			return fmt.Errorf("changes: WithBatch(%d): must be from 1 to 10", n)
		}
		o.batch = n
		return nil
	}
}

// WithBackoff sets the waits after failed receives: base after the first,
// doubling up to max, each jittered down by up to a half so that a fleet
// does not retry in step. Base must be positive and max at least base. The
// defaults are [DefaultBackoff] and [DefaultMaxBackoff].
func WithBackoff(base, max time.Duration) Option {
	return func(o *options) error {
		if base <= 0 || max < base {
			return fmt.Errorf("changes: WithBackoff(%v, %v): base must be positive and max at least base", base, max)
		}
		o.backoff, o.maxBackoff = base, max
		return nil
	}
}

// WithCallTimeout bounds each DeleteMessageBatch call and each reload of a
// hot read. It must be positive; the default is [DefaultCallTimeout].
func WithCallTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("changes: WithCallTimeout(%v): must be positive", d)
		}
		o.callTimeout = d
		return nil
	}
}

// WithLogger sets where the poller logs: failed receives and deletes,
// malformed messages and failed reloads at WARN, recoveries at INFO, each
// change at DEBUG. Names are logged, never values. Nil, the default, means
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.log = l
		return nil
	}
}

// WithNotify calls fn with each change after its names were invalidated
// and its hot reads reloaded. Fn runs on the poller's goroutine: it must
// return quickly (the next receive waits for it). A panic in fn is
// recovered and logged. Nil, the default, calls nothing.
func WithNotify(fn func(Change)) Option {
	return func(o *options) error {
		o.notify = fn
		return nil
	}
}

// WithHotParameters names parameter reads to reload, with Refresh, as soon
// as an event invalidates their name, so that the next read of them is a
// hit. The Invalidator given to [Start] must then also be a [Reader]. At
// most [MaxHot] reads in all, with WithHotSecrets; each must have a Name.
func WithHotParameters(reqs ...cache.ParameterRequest) Option {
	return func(o *options) error {
		for _, r := range reqs {
			if r.Name == "" {
				return fmt.Errorf("changes: WithHotParameters: a read without a Name")
			}
			r.Refresh = true
			o.hotParams = append(o.hotParams, r)
		}
		return nil
	}
}

// WithHotSecrets names secret reads to reload as WithHotParameters does.
// Each must have a SecretID.
func WithHotSecrets(reqs ...cache.SecretRequest) Option {
	return func(o *options) error {
		for _, r := range reqs {
			if r.SecretID == "" {
				return fmt.Errorf("changes: WithHotSecrets: a read without a SecretID")
			}
			r.Refresh = true
			o.hotSecrets = append(o.hotSecrets, r)
		}
		return nil
	}
}
