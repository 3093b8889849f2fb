package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/changes"
)

// The settings of values that change (docs/rotation.md), both off unless
// set.
const (
	// envRotationAware: TRUE makes a secret's entry expire shortly after
	// its NextRotationDate and revalidate with DescribeSecret
	// (cache.WithRotationAware).
	envRotationAware = "PARSECD_ROTATION_AWARE"
	// envChangesQueue: the URL of an SQS queue that an EventBridge rule
	// fills with change events; daemon mode long-polls it and drops the
	// values it names (package changes).
	envChangesQueue = "PARSECD_CHANGES_QUEUE"
)

// rotationSettings are the two settings, parsed.
type rotationSettings struct {
	aware bool
	queue string // "" : no change events
}

// parseRotationSettings reads the settings. A bad value, or a queue in a
// mode that cannot use it, is a usage error naming the variable: a Lambda
// environment is frozen between invocations and cannot receive events
// (use PARSECD_ROTATION_AWARE there), and the emulator has no AWS.
func parseRotationSettings(getenv func(string) string, mode string) (rotationSettings, error) {
	var s rotationSettings
	if v := strings.TrimSpace(getenv(envRotationAware)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, usagef("%s=%q: must be TRUE or FALSE", envRotationAware, v)
		}
		if b && mode == modeEmulate {
			return s, usagef("%s: the emulator has no rotation schedule; unset it with --emulate", envRotationAware)
		}
		s.aware = b
	}
	q := strings.TrimSpace(getenv(envChangesQueue))
	if q == "" {
		return s, nil
	}
	if u, err := url.Parse(q); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return s, usagef("%s=%q: must be the queue's URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME", envChangesQueue, q)
	}
	if mode != modeDaemon {
		return s, usagef("%s: change events need a long-running daemon; in mode %s they cannot be received (a Lambda environment is frozen between invocations: use %s)", envChangesQueue, mode, envRotationAware)
	}
	s.queue = q
	return s, nil
}

// cacheOptions returns the cache options of s.
func (s rotationSettings) cacheOptions() []cache.Option {
	return []cache.Option{cache.WithRotationAware(s.aware)}
}

// startChanges starts the poller of s.queue on c, with an SQS client of
// awsCfg; stop ends it. Without a queue it does nothing.
func startChanges(ctx context.Context, c *cache.Cache, awsCfg aws.Config, s rotationSettings, log *slog.Logger) (stop func(), err error) {
	if s.queue == "" {
		return func() {}, nil
	}
	client := sqs.NewFromConfig(awsCfg)
	p, err := changes.Start(context.WithoutCancel(ctx), c, changes.Queue{URL: s.queue, Receive: client, Delete: client}, changes.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envChangesQueue, err)
	}
	log.Info("parsecd: dropping values on change events", "queue", s.queue)
	return p.Close, nil
}
