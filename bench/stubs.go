package bench

import (
	"context"
	"errors"
	"strings"
)

type ColdStartResult struct{}
type MemoryResult struct{}
type FleetResult struct{}

func (e *Env) ColdStart(ctx context.Context) (*ColdStartResult, error) { return nil, errors.New("not yet") }
func (e *Env) Memory(ctx context.Context) (*MemoryResult, error)       { return nil, errors.New("not yet") }
func (e *Env) Fleet(ctx context.Context) (*FleetResult, error)         { return nil, errors.New("not yet") }
func (r *Results) summaryLater() []summaryRow { return nil }
func (r *Results) mdColdStart(b *strings.Builder) {}
func (r *Results) mdMemory(b *strings.Builder)    {}
func (r *Results) mdFleet(b *strings.Builder)     {}
func (r *Results) mdCost(b *strings.Builder)      {}
