package changes_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/changes"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// world is a cache with an hour's TTL over an in-memory fake holding the
// secret prod/db ("one") and the parameter /app/db ("p1"), for tests
// inside a synctest bubble.
type world struct {
	srv *sourcetest.Server
	c   *cache.Cache
	q   *fakeQueue
	log *records
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{srv: sourcetest.NewInMemory(), q: newFakeQueue(), log: &records{}}
	t.Cleanup(w.srv.Close)
	if _, err := w.srv.CreateSecret(sourcetest.Secret{Name: "prod/db"}, sourcetest.SecretVersion{String: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.srv.PutParameter(sourcetest.Parameter{Name: "/app/db", Value: "p1"}); err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(w.srv.InMemoryClients(), cache.WithTTL(time.Hour), cache.WithRefreshAhead(0))
	if err != nil {
		t.Fatal(err)
	}
	w.c = c
	t.Cleanup(func() { _ = c.Close() })
	return w
}

func (w *world) secret(t *testing.T) string {
	t.Helper()
	s, err := w.c.Secret(t.Context(), cache.SecretRequest{SecretID: "prod/db"})
	if err != nil {
		t.Fatal(err)
	}
	return s.Value()
}

func (w *world) parameter(t *testing.T) string {
	t.Helper()
	p, err := w.c.Parameter(t.Context(), cache.ParameterRequest{Name: "/app/db"})
	if err != nil {
		t.Fatal(err)
	}
	return p.Value()
}

// start starts a poller on w's queue that reports each change on the
// returned channel (buffered: a test reads what it expects).
func (w *world) start(t *testing.T, opts ...changes.Option) (*changes.Poller, <-chan changes.Change) {
	t.Helper()
	got := make(chan changes.Change, 16)
	opts = append([]changes.Option{changes.WithLogger(slog.New(w.log)), changes.WithNotify(func(ch changes.Change) { got <- ch })}, opts...)
	p, err := changes.Start(t.Context(), w.c, w.q.queue(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, got
}

// A value changed upstream is read fresh as soon as its event is handled,
// though its TTL is an hour; without the event the cache keeps the old one.
func TestEventInvalidates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		p, got := w.start(t)
		if v := w.secret(t); v != "one" {
			t.Fatalf("first read = %q; want one", v)
		}
		if v := w.parameter(t); v != "p1" {
			t.Fatalf("first read = %q; want p1", v)
		}
		if _, err := w.srv.PutSecretValue("prod/db", sourcetest.SecretVersion{String: aws.String("two")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.srv.PutParameter(sourcetest.Parameter{Name: "/app/db", Value: "p2"}); err != nil {
			t.Fatal(err)
		}
		advance(30 * time.Minute) // fake time: half the TTL
		if v := w.secret(t); v != "one" {
			t.Fatalf("read before the event = %q; want the cached one", v)
		}
		w.q.push(labelUpdated("prod/db", secretARN), parameterChange("Update", "/app/db"))
		for range 2 {
			<-got
		}
		if v := w.secret(t); v != "two" {
			t.Errorf("read after the event = %q; want two", v)
		}
		if v := w.parameter(t); v != "p2" {
			t.Errorf("read after the event = %q; want p2", v)
		}
		if n := w.srv.Calls("GetSecretValue"); n != 2 {
			t.Errorf("GetSecretValue calls = %d; want 2 (first read, read after the event)", n)
		}
		synctest.Wait()
		st := p.Stats()
		if st.Messages != 2 || st.Changes != 2 || st.Deleted != 2 || st.Malformed != 0 {
			t.Errorf("Stats = %+v; want 2 messages, 2 changes, 2 deleted", st)
		}
		if vis, inf := w.q.left(); vis+inf != 0 {
			t.Errorf("queue holds %d visible and %d in-flight messages; want none", vis, inf)
		}
	})
}

// A hot read is reloaded by the poller: the process's next read is a hit.
func TestHotReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		p, got := w.start(t, changes.WithHotSecrets(cache.SecretRequest{SecretID: "prod/db"}),
			changes.WithHotParameters(cache.ParameterRequest{Name: "/other"}))
		w.secret(t)
		const canary = "s3cr3t-canary-two"
		if _, err := w.srv.PutSecretValue("prod/db", sourcetest.SecretVersion{String: aws.String(canary)}); err != nil {
			t.Fatal(err)
		}
		w.q.push(labelUpdated("prod/db", secretARN))
		<-got
		if n := w.srv.Calls("GetSecretValue"); n != 2 {
			t.Errorf("GetSecretValue calls after the event = %d; want 2 (first read, reload)", n)
		}
		if v := w.secret(t); v != canary {
			t.Errorf("read after the reload = %q; want the new value", v)
		}
		if strings.Contains(w.log.text(), canary) {
			t.Errorf("the log holds a secret value:\n%s", w.log.text())
		}
		if w.log.count(slog.LevelDebug, "changes: invalidated") != 1 {
			t.Errorf("want one DEBUG record of the change; log:\n%s", w.log.text())
		}
		if n := w.srv.Calls("GetSecretValue"); n != 2 {
			t.Errorf("GetSecretValue calls after the next read = %d; want still 2 (a hit)", n)
		}
		if n := w.srv.Calls("GetParameter"); n != 0 {
			t.Errorf("GetParameter calls = %d; want 0 (/other was not named)", n)
		}
		if st := p.Stats(); st.Reloads != 1 || st.ReloadErrors != 0 {
			t.Errorf("Stats = %+v; want 1 reload", st)
		}
	})
}

// A malformed message is deleted and counted, and never comes back; the
// valid message beside it still works.
func TestPoisonMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		p, got := w.start(t)
		w.q.push("not an event", event("aws.ec2", "EC2 Instance State-change Notification", nil, map[string]string{}),
			labelUpdated("prod/db", secretARN))
		<-got
		synctest.Wait()
		st := p.Stats()
		if st.Malformed != 1 || st.Ignored != 1 || st.Changes != 1 || st.Deleted != 3 {
			t.Errorf("Stats = %+v; want 1 malformed, 1 ignored, 1 change, 3 deleted", st)
		}
		if vis, inf := w.q.left(); vis+inf != 0 {
			t.Errorf("queue holds %d visible and %d in-flight messages; want none", vis, inf)
		}
		if n := w.log.count(slog.LevelWarn, "changes: malformed message deleted"); n != 1 {
			t.Errorf("malformed-message warnings = %d; want 1; log:\n%s", n, w.log.text())
		}
		if strings.Contains(w.log.text(), "not an event") {
			t.Errorf("the log quotes a message body:\n%s", w.log.text())
		}
	})
}

// A queue that cannot be read is retried after waits that double from the
// base to the cap, each jittered down by at most half; every failure is
// logged; the cache keeps serving; a success resets the backoff.
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.secret(t)
		var (
			mu sync.Mutex // protects at
			at []time.Time
		)
		var fail atomic.Bool
		fail.Store(true)
		q := w.q.queue()
		q.Receive = changes.ReceiverFunc(func(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
			if fail.Load() {
				mu.Lock()
				at = append(at, time.Now())
				mu.Unlock()
				return nil, errors.New("dial tcp 127.0.0.1:9: connect: connection refused")
			}
			return w.q.ReceiveMessage(ctx, in)
		})
		const base, max = time.Second, 8 * time.Second
		p, err := changes.Start(t.Context(), w.c, q, changes.WithBackoff(base, max), changes.WithLogger(slog.New(w.log)))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		advance(time.Minute)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(at) < 8 {
			t.Fatalf("%d receives in a minute; want at least 8", len(at))
		}
		for i := 1; i < len(at); i++ {
			want := min(base<<(i-1), max)
			if d := at[i].Sub(at[i-1]); d < want/2 || d > want {
				t.Errorf("wait before receive %d = %v; want between %v and %v", i, d, want/2, want)
			}
		}
		if got, want := w.log.count(slog.LevelWarn, "changes: ReceiveMessage failed; values are kept for their TTL meanwhile"), len(at); got != want {
			t.Errorf("warnings = %d; want %d, one per failure", got, want)
		}
		if v := w.secret(t); v != "one" {
			t.Errorf("read while the queue is unreachable = %q; want one", v)
		}
		if st := p.Stats(); st.ReceiveErrors != uint64(len(at)) || st.Receives != 0 {
			t.Errorf("Stats = %+v; want %d receive errors", st, len(at))
		}
		fail.Store(false)
		advance(max + changes.DefaultWait) // the backoff, then a long poll that finds nothing
		synctest.Wait()
		if n := w.log.count(slog.LevelInfo, "changes: queue readable again"); n != 1 {
			t.Errorf("recoveries logged = %d; want 1", n)
		}
	})
}

// Receives that come back empty at once (a queue that does not long-poll)
// are spaced a second apart: no busy loop.
func TestEmptyReceivesSpaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		q := w.q.queue()
		var n atomic.Int64
		q.Receive = changes.ReceiverFunc(func(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
			n.Add(1)
			return &sqs.ReceiveMessageOutput{}, nil
		})
		p, err := changes.Start(t.Context(), w.c, q)
		if err != nil {
			t.Fatal(err)
		}
		advance(10*time.Second - time.Nanosecond)
		synctest.Wait()
		p.Close()
		if n := n.Load(); n != 10 {
			t.Errorf("receives in 10 s = %d; want 10", n)
		}
	})
}

// Close ends a long poll in progress at once; closing the cache stops the
// poller too.
func TestStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		p, _ := w.start(t)
		synctest.Wait() // the poller waits in ReceiveMessage
		start := time.Now()
		p.Close()
		if d := time.Since(start); d != 0 {
			t.Errorf("Close took %v of fake time; want 0", d)
		}
		p.Close() // idempotent

		p2, _ := w.start(t)
		_ = w.c.Close()
		<-p2.Done()

		ctx, cancel := context.WithCancel(t.Context())
		w2 := newWorld(t)
		p3, err := changes.Start(ctx, w2.c, w2.q.queue())
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		<-p3.Done()
	})
}

// A failed deletion is counted and logged; the message is left to SQS.
func TestDeleteFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.q.deleteErr = errors.New("AccessDenied: not authorized to perform sqs:DeleteMessage")
		p, got := w.start(t)
		w.q.push(labelUpdated("prod/db", secretARN))
		<-got
		synctest.Wait()
		if st := p.Stats(); st.DeleteErrors != 1 || st.Deleted != 0 || st.Changes != 1 {
			t.Errorf("Stats = %+v; want 1 delete error, 1 change", st)
		}
		if n := w.log.count(slog.LevelWarn, "changes: DeleteMessageBatch failed; the messages will be delivered again"); n != 1 {
			t.Errorf("delete warnings = %d; want 1", n)
		}
	})
}

// A server that answers with more messages than asked gets only the batch
// handled; a panicking notify function is recovered.
func TestBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		q := w.q.queue()
		bodies := make([]string, 15)
		for i := range bodies {
			bodies[i] = labelUpdated("prod/db", secretARN)
		}
		w.q.push(bodies...)
		q.Receive = changes.ReceiverFunc(func(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
			big := *in
			big.MaxNumberOfMessages = 100
			return w.q.ReceiveMessage(ctx, &big)
		})
		p, err := changes.Start(t.Context(), w.c, q, changes.WithBatch(5), changes.WithLogger(slog.New(w.log)),
			changes.WithNotify(func(changes.Change) { panic("boom") }))
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		p.Close()
		if st := p.Stats(); st.Messages != 5 || st.Changes != 5 {
			t.Errorf("Stats = %+v; want 5 messages handled of the 15 in one answer", st)
		}
		if n := w.log.count(slog.LevelWarn, "changes: WithNotify function panicked"); n != 5 {
			t.Errorf("panics logged = %d; want 5", n)
		}
	})
}

func TestStartRefuses(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	c, err := cache.New(srv.InMemoryClients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := newFakeQueue().queue()
	type invalidateOnly struct{ changes.Invalidator }
	tests := []struct {
		name string
		inv  changes.Invalidator
		q    changes.Queue
		opts []changes.Option
		want string
	}{
		{"nil cache", nil, q, nil, "nil Invalidator"},
		{"no URL", c, changes.Queue{Receive: q.Receive, Delete: q.Delete}, nil, "Queue.URL"},
		{"no receiver", c, changes.Queue{URL: q.URL, Delete: q.Delete}, nil, "Queue.Receive"},
		{"no deleter", c, changes.Queue{URL: q.URL, Receive: q.Receive}, nil, "Queue.Delete"},
		{"wait too long", c, q, []changes.Option{changes.WithWait(21 * time.Second)}, "WithWait(21s)"},
		{"wait not whole seconds", c, q, []changes.Option{changes.WithWait(1500 * time.Millisecond)}, "WithWait(1.5s)"},
		{"batch", c, q, []changes.Option{changes.WithBatch(11)}, "WithBatch(11)"},
		{"backoff", c, q, []changes.Option{changes.WithBackoff(time.Second, time.Millisecond)}, "WithBackoff"},
		{"timeout", c, q, []changes.Option{changes.WithCallTimeout(0)}, "WithCallTimeout(0s)"},
		{"hot without name", c, q, []changes.Option{changes.WithHotParameters(cache.ParameterRequest{})}, "without a Name"},
		{"hot secret without id", c, q, []changes.Option{changes.WithHotSecrets(cache.SecretRequest{})}, "without a SecretID"},
		{"too many hot", c, q, []changes.Option{changes.WithHotSecrets(make([]cache.SecretRequest, changes.MaxHot+1)...)}, "without a SecretID"},
		{"hot without a reader", invalidateOnly{c}, q, []changes.Option{changes.WithHotSecrets(cache.SecretRequest{SecretID: "x"})}, "also a Reader"},
	}
	many := make([]cache.SecretRequest, changes.MaxHot+1)
	for i := range many {
		many[i].SecretID = "s"
	}
	tests = append(tests, struct {
		name string
		inv  changes.Invalidator
		q    changes.Queue
		opts []changes.Option
		want string
	}{"more hot reads than MaxHot", c, q, []changes.Option{changes.WithHotSecrets(many...)}, "257 hot reads, at most 256"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := changes.Start(context.Background(), tt.inv, tt.q, tt.opts...)
			if err == nil {
				p.Close()
				t.Fatalf("Start = nil error; want one naming %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start error = %q; want it to name %q", err, tt.want)
			}
		})
	}
}

// advance lets fake time pass inside a synctest bubble.
func advance(d time.Duration) { <-time.After(d) }
