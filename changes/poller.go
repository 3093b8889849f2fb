package changes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parsec-go/parsec/cache"
)

// Receiver receives messages from a queue. *sqs.Client satisfies it.
type Receiver interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
}

// ReceiverFunc adapts a function to [Receiver].
type ReceiverFunc func(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)

// ReceiveMessage calls f.
func (f ReceiverFunc) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	return f(ctx, in, optFns...)
}

// Deleter deletes handled messages. *sqs.Client satisfies it.
type Deleter interface {
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// DeleterFunc adapts a function to [Deleter].
type DeleterFunc func(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)

// DeleteMessageBatch calls f.
func (f DeleterFunc) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return f(ctx, in, optFns...)
}

// Queue is the SQS queue an EventBridge rule sends change events to. With
// an *sqs.Client c: Queue{URL: url, Receive: c, Delete: c}.
type Queue struct {
	URL     string   // the queue's URL, required
	Receive Receiver // required: sqs:ReceiveMessage
	Delete  Deleter  // required: sqs:DeleteMessage
}

// Invalidator drops every cached form of a name. *cache.Cache satisfies
// it.
type Invalidator interface {
	InvalidateParameter(cache.ParameterRequest)
	InvalidateSecret(cache.SecretRequest)
}

// Reader reads through the cache; the poller uses it to reload hot reads
// (see [WithHotParameters]). *cache.Cache satisfies it.
type Reader interface {
	Parameter(ctx context.Context, req cache.ParameterRequest) (cache.Parameter, error)
	Secret(ctx context.Context, req cache.SecretRequest) (cache.Secret, error)
}

// Stats counts what a poller did since [Start].
type Stats struct {
	Receives      uint64 // ReceiveMessage calls that answered
	ReceiveErrors uint64 // ReceiveMessage calls that failed
	Messages      uint64 // messages received
	Changes       uint64 // messages that announced a change; its names were invalidated
	Ignored       uint64 // well-formed events that announce no change (ErrIgnored)
	Malformed     uint64 // messages that could not be read (ErrMalformed): deleted, never retried
	Deleted       uint64 // messages deleted
	DeleteErrors  uint64 // messages whose deletion failed (SQS delivers them again)
	Reloads       uint64 // hot reads reloaded
	ReloadErrors  uint64 // hot reads whose reload failed (the TTL still holds)
}

// Poller long-polls a queue of change events and invalidates the names
// they announce. Start it with [Start]; stop it with Close. Its methods
// are safe for concurrent use.
type Poller struct {
	inv    Invalidator
	read   Reader // nil without hot reads
	q      Queue
	o      options
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine returns
	once   sync.Once

	receives, receiveErrors, messages, changes, ignored, malformed atomic.Uint64
	deleted, deleteErrors, reloads, reloadErrors                   atomic.Uint64
}

// Start checks its arguments and starts a goroutine that long-polls
// q (ReceiveMessage with WaitTimeSeconds 20 and up to 10 messages; see the
// options), parses each message with [Parse], invalidates the names of each
// change in inv (InvalidateParameter or InvalidateSecret, for every form
// the event gives), reloads the hot reads that match, and deletes every
// message it received, malformed or not, with DeleteMessageBatch: no
// message is handled twice on purpose, and a poison message is counted
// (Stats.Malformed), logged and dropped.
//
// Events are best effort: a queue that cannot be read is retried after a
// backoff (see [WithBackoff]), logged, and meanwhile the cache's TTL still
// bounds the age of every value. The goroutine ends when ctx is done, when
// Close is called, or when inv has a Done() <-chan struct{} method (as
// *cache.Cache has) and that channel closes; a second goroutine watches
// that channel. Start does no I/O itself.
func Start(ctx context.Context, inv Invalidator, q Queue, opts ...Option) (*Poller, error) {
	switch {
	case inv == nil:
		return nil, errors.New("changes: Start: nil Invalidator")
	case q.URL == "":
		return nil, errors.New("changes: Start: Queue.URL is empty")
	case q.Receive == nil:
		return nil, errors.New("changes: Start: Queue.Receive is nil")
	case q.Delete == nil:
		return nil, errors.New("changes: Start: Queue.Delete is nil")
	}
	o := defaults()
	for _, fn := range opts {
		if err := fn(&o); err != nil {
			return nil, err
		}
	}
	p := &Poller{inv: inv, q: q, o: o, log: o.log, done: make(chan struct{})}
	if p.log == nil {
		p.log = slog.Default()
	}
	if n := len(o.hotParams) + len(o.hotSecrets); n > 0 {
		if n > MaxHot {
			return nil, fmt.Errorf("changes: Start: %d hot reads, at most %d", n, MaxHot)
		}
		r, ok := inv.(Reader)
		if !ok {
			return nil, fmt.Errorf("changes: Start: hot reads need an Invalidator that is also a Reader; %T is not", inv)
		}
		p.read = r
	}
	ctx, p.cancel = context.WithCancel(ctx)
	watched := make(chan struct{})
	if d, ok := inv.(interface{ Done() <-chan struct{} }); ok {
		go func() { // ends with ctx, which run cancels as it returns
			defer close(watched)
			select {
			case <-d.Done():
				p.cancel()
			case <-ctx.Done():
			}
		}()
	} else {
		close(watched)
	}
	go func() {
		defer close(p.done)
		p.run(ctx)
		p.cancel()
		<-watched
	}()
	return p, nil
}

// Close stops the poller: it cancels a receive in progress and waits for
// the goroutine to end (at most one DeleteMessageBatch and one reload, each
// bounded by WithCallTimeout, may finish first). Close is idempotent.
func (p *Poller) Close() {
	p.once.Do(p.cancel)
	<-p.done
}

// Done returns a channel closed when the poller has stopped.
func (p *Poller) Done() <-chan struct{} { return p.done }

// Stats returns a snapshot of the counters.
func (p *Poller) Stats() Stats {
	return Stats{
		Receives: p.receives.Load(), ReceiveErrors: p.receiveErrors.Load(), Messages: p.messages.Load(),
		Changes: p.changes.Load(), Ignored: p.ignored.Load(), Malformed: p.malformed.Load(),
		Deleted: p.deleted.Load(), DeleteErrors: p.deleteErrors.Load(),
		Reloads: p.reloads.Load(), ReloadErrors: p.reloadErrors.Load(),
	}
}

func (p *Poller) run(ctx context.Context) {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(p.q.URL),
		MaxNumberOfMessages: int32(p.o.batch),
		WaitTimeSeconds:     int32(p.o.wait / time.Second),
	}
	failures := 0
	for ctx.Err() == nil {
		start := time.Now()
		out, err := p.q.Receive.ReceiveMessage(ctx, in)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			p.receiveErrors.Add(1)
			wait := p.backoff(failures)
			p.log.LogAttrs(ctx, slog.LevelWarn, "changes: ReceiveMessage failed; values are kept for their TTL meanwhile",
				slog.String("queue", p.q.URL), slog.Int("failures", failures), slog.Duration("retry_in", wait), slog.Any("error", err))
			sleep(ctx, wait)
			continue
		}
		p.receives.Add(1)
		if failures > 0 {
			p.log.LogAttrs(ctx, slog.LevelInfo, "changes: queue readable again", slog.String("queue", p.q.URL), slog.Int("after_failures", failures))
			failures = 0
		}
		var msgs []sqstypes.Message
		if out != nil {
			msgs = out.Messages
		}
		if len(msgs) > p.o.batch { // a misbehaving server: never more work than asked
			msgs = msgs[:p.o.batch]
		}
		if len(msgs) == 0 {
			sleep(ctx, minEmptyInterval-time.Since(start))
			continue
		}
		p.handle(ctx, msgs)
	}
}

// handle applies a batch: parse, invalidate, reload, notify, delete.
func (p *Poller) handle(ctx context.Context, msgs []sqstypes.Message) {
	p.messages.Add(uint64(len(msgs)))
	var found []Change
	for _, m := range msgs {
		ch, err := Parse([]byte(aws.ToString(m.Body)))
		switch {
		case errors.Is(err, ErrIgnored):
			p.ignored.Add(1)
			p.log.LogAttrs(ctx, slog.LevelDebug, "changes: event ignored", slog.String("message_id", aws.ToString(m.MessageId)), slog.Any("reason", err))
		case err != nil:
			p.malformed.Add(1)
			p.log.LogAttrs(ctx, slog.LevelWarn, "changes: malformed message deleted", slog.String("message_id", aws.ToString(m.MessageId)), slog.Any("reason", err))
		default:
			p.invalidate(ch)
			p.changes.Add(1)
			found = append(found, ch)
			p.log.LogAttrs(ctx, slog.LevelDebug, "changes: invalidated", slog.String("kind", ch.Kind.String()),
				slog.Any("names", ch.Names), slog.String("event", ch.Event), slog.String("action", ch.Action))
		}
	}
	p.reload(ctx, found)
	for _, ch := range found {
		p.notifyOne(ctx, ch)
	}
	p.delete(ctx, msgs)
}

func (p *Poller) invalidate(ch Change) {
	for _, n := range ch.Names {
		if ch.Kind == KindSecret {
			p.inv.InvalidateSecret(cache.SecretRequest{SecretID: n})
		} else {
			p.inv.InvalidateParameter(cache.ParameterRequest{Name: n})
		}
	}
}

func (p *Poller) notifyOne(ctx context.Context, ch Change) {
	if p.o.notify == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			p.log.LogAttrs(ctx, slog.LevelWarn, "changes: WithNotify function panicked", slog.Any("panic", v))
		}
	}()
	p.o.notify(ch)
}

// delete deletes msgs with one DeleteMessageBatch (a batch is at most ten
// messages, SQS's limit). It runs even when ctx was canceled meanwhile, so
// that handled messages are not delivered again, bounded by the call
// timeout.
func (p *Poller) delete(ctx context.Context, msgs []sqstypes.Message) {
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, 0, len(msgs))
	for i, m := range msgs {
		entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.o.callTimeout)
	defer cancel()
	out, err := p.q.Delete.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.q.URL), Entries: entries})
	if err != nil {
		p.deleteErrors.Add(uint64(len(msgs)))
		p.log.LogAttrs(ctx, slog.LevelWarn, "changes: DeleteMessageBatch failed; the messages will be delivered again",
			slog.String("queue", p.q.URL), slog.Int("messages", len(msgs)), slog.Any("error", err))
		return
	}
	if out == nil {
		p.deleted.Add(uint64(len(msgs)))
		return
	}
	p.deleted.Add(uint64(min(len(out.Successful), len(msgs))))
	if n := len(out.Failed); n > 0 {
		p.deleteErrors.Add(uint64(n))
		f := out.Failed[0]
		p.log.LogAttrs(ctx, slog.LevelWarn, "changes: messages not deleted; they will be delivered again",
			slog.String("queue", p.q.URL), slog.Int("messages", n), slog.String("code", aws.ToString(f.Code)), slog.String("message", aws.ToString(f.Message)))
	}
}

// backoff returns the wait after the n-th failure in a row: base doubling
// up to max, less up to half of it at random.
func (p *Poller) backoff(n int) time.Duration {
	d := p.o.backoff
	for i := 1; i < n && d < p.o.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.o.maxBackoff)
	return d - rand.N(d/2+1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
