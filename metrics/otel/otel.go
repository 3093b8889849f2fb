package otel

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/metrics"
)

// Prefix begins every instrument's name.
const Prefix = "parsec.cache."

// StatsReader is what Register reads: a *cache.Cache.
type StatsReader interface {
	Stats() cache.Stats
}

// Option configures [Register].
type Option func(*config)

type config struct {
	attrs      []attribute.KeyValue
	cloudNames bool // WithCloudExtensionsNames
}

// WithAttributes adds attributes to every observation (default: none), to
// tell several caches apart in one process.
func WithAttributes(kv ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, kv...) }
}

// Register creates the instruments on meter and registers the callback
// that observes them from c.Stats, once per collection. Call Unregister on
// the returned registration to stop observing (the instruments stay, as
// the API has no way to remove them). It returns the meter's error if an
// instrument or the callback cannot be created.
func Register(meter metric.Meter, c StatsReader, opts ...Option) (metric.Registration, error) {
	if meter == nil || c == nil {
		return nil, errors.New("otel: Register needs a meter and a cache")
	}
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	ms := metrics.All()
	insts := make([]metric.Int64Observable, len(ms))
	observables := make([]metric.Observable, len(ms))
	for i, m := range ms {
		var (
			inst metric.Int64Observable
			err  error
		)
		switch m.Kind {
		case metrics.Counter:
			inst, err = meter.Int64ObservableCounter(Prefix+m.Name, metric.WithDescription(m.Description))
		default:
			inst, err = meter.Int64ObservableGauge(Prefix+m.Name, metric.WithDescription(m.Description))
		}
		if err != nil {
			return nil, fmt.Errorf("otel: instrument %s: %w", Prefix+m.Name, err)
		}
		insts[i], observables[i] = inst, inst
	}
	var cloud []metric.Int64ObservableCounter
	if cfg.cloudNames {
		var cobs []metric.Observable
		var err error
		if cloud, cobs, err = cloudInstruments(meter); err != nil {
			return nil, err
		}
		observables = append(observables, cobs...)
	}
	obs := metric.WithAttributeSet(attribute.NewSet(cfg.attrs...))
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := c.Stats()
		for i, m := range ms {
			o.ObserveInt64(insts[i], m.Int64(s), obs)
		}
		for i, inst := range cloud {
			o.ObserveInt64(inst, clampInt64(cloudMetrics[i].value(s)), obs)
		}
		return nil
	}, observables...)
	if err != nil {
		return nil, fmt.Errorf("otel: register callback: %w", err)
	}
	return reg, nil
}
