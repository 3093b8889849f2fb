package changes_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parsec-go/parsec/changes"
)

// fakeQueue is an in-memory SQS queue for tests inside a synctest bubble:
// ReceiveMessage long-polls on the bubble's clock, DeleteMessageBatch
// removes what was received. Messages received and not deleted stay
// invisible (no visibility timeout: a test counts them).
type fakeQueue struct {
	mu       sync.Mutex
	visible  []sqstypes.Message
	inflight map[string]sqstypes.Message // by receipt handle
	n        int                         // messages pushed, for ids
	arrived  chan struct{}               // has a token when visible may be non-empty

	deleteErr error // returned by DeleteMessageBatch when set
}

func newFakeQueue() *fakeQueue {
	return &fakeQueue{inflight: map[string]sqstypes.Message{}, arrived: make(chan struct{}, 1)}
}

func (q *fakeQueue) queue() changes.Queue {
	return changes.Queue{URL: "https://sqs.us-east-1.amazonaws.com/123456789012/changes", Receive: q, Delete: q}
}

func (q *fakeQueue) push(bodies ...string) {
	q.mu.Lock()
	for _, b := range bodies {
		q.n++
		id := strconv.Itoa(q.n)
		q.visible = append(q.visible, sqstypes.Message{MessageId: aws.String("m" + id), ReceiptHandle: aws.String("r" + id), Body: aws.String(b)})
	}
	q.mu.Unlock()
	select {
	case q.arrived <- struct{}{}:
	default:
	}
}

func (q *fakeQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	t := time.NewTimer(time.Duration(in.WaitTimeSeconds) * time.Second)
	defer t.Stop()
	for {
		q.mu.Lock()
		if len(q.visible) > 0 {
			n := min(len(q.visible), int(in.MaxNumberOfMessages))
			out := append([]sqstypes.Message(nil), q.visible[:n]...)
			q.visible = q.visible[n:]
			for _, m := range out {
				q.inflight[*m.ReceiptHandle] = m
			}
			q.mu.Unlock()
			return &sqs.ReceiveMessageOutput{Messages: out}, nil
		}
		q.mu.Unlock()
		select {
		case <-q.arrived:
		case <-t.C:
			return &sqs.ReceiveMessageOutput{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (q *fakeQueue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleteErr != nil {
		return nil, q.deleteErr
	}
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		if _, ok := q.inflight[*e.ReceiptHandle]; !ok {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), SenderFault: true})
			continue
		}
		delete(q.inflight, *e.ReceiptHandle)
		out.Successful = append(out.Successful, sqstypes.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// left returns how many messages are neither deleted nor received.
func (q *fakeQueue) left() (visible, inflight int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.visible), len(q.inflight)
}

// records is a slog handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// count returns how many records of level have msg.
func (r *records) count(level slog.Level, msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		if rec.Level == level && rec.Message == msg {
			n++
		}
	}
	return n
}

// text returns every record as text.
func (r *records) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b []byte
	for _, rec := range r.recs {
		b = append(b, rec.Message...)
		rec.Attrs(func(a slog.Attr) bool {
			b = append(b, ' ')
			b = append(b, a.String()...)
			return true
		})
		b = append(b, '\n')
	}
	return string(b)
}
