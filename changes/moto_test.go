package changes_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/changes"
	"github.com/parsec-go/parsec/internal/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// motoWorld is moto_server with the secret prod/db ("one"), the parameter
// /app/db ("p1"), an SQS queue, and an EventBridge rule with
// changes.EventPattern whose target is the queue; and a cache over moto
// with an hour's TTL.
type motoWorld struct {
	srv       *motoserver.Server
	sm        *secretsmanager.Client
	ssm       *ssm.Client
	sqs       *sqs.Client
	eb        *eventbridge.Client
	queueURL  string
	secretARN string
	c         *cache.Cache
}

func newMotoWorld(t testing.TB) *motoWorld {
	t.Helper()
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	cfg := srv.Config()
	w := &motoWorld{srv: srv, sm: srv.SecretsManager(), ssm: srv.SSM(), sqs: sqs.NewFromConfig(cfg), eb: eventbridge.NewFromConfig(cfg)}
	sec, err := w.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("one")})
	if err != nil {
		t.Fatal(err)
	}
	w.secretARN = aws.ToString(sec.ARN)
	if _, err := w.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db"), Value: aws.String("p1"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	q, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("parsec-changes")})
	if err != nil {
		t.Fatal(err)
	}
	w.queueURL = aws.ToString(q.QueueUrl)
	attrs, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("parsec-changes"), EventPattern: aws.String(changes.EventPattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("parsec-changes"),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}}}); err != nil {
		t.Fatal(err)
	}
	if w.c, err = cache.New(srv.Clients(), cache.WithTTL(time.Hour), cache.WithRefreshAhead(0)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.c.Close() })
	return w
}

func (w *motoWorld) queue() changes.Queue {
	return changes.Queue{URL: w.queueURL, Receive: w.sqs, Delete: w.sqs}
}

// put sends one event to the default bus, as Parameter Store, Secrets
// Manager or CloudTrail would.
func (w *motoWorld) put(t testing.TB, ctx context.Context, source, detailType string, resources []string, detail any) {
	t.Helper()
	d, err := json.Marshal(detail)
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(string(d)), Resources: resources}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents = %+v, %v", out, err)
	}
}

func (w *motoWorld) secret(t testing.TB, ctx context.Context) string {
	t.Helper()
	s, err := w.c.Secret(ctx, cache.SecretRequest{SecretID: "prod/db"})
	if err != nil {
		t.Fatal(err)
	}
	return s.Value()
}

// waitChange waits for the poller's next change, failing the test after a
// bound far above any expected delay (a hung test, not a slow one).
func waitChange(t testing.TB, got <-chan changes.Change) changes.Change {
	t.Helper()
	select {
	case ch := <-got:
		return ch
	case <-time.After(time.Minute):
		t.Fatal("no change handled within a minute")
	}
	return changes.Change{}
}

// End to end through moto: a value changed upstream and announced by an
// event (Secret Label Updated; a CloudTrail PutSecretValue record with
// "aRN"; Parameter Store Change) travels EventBridge → SQS → the poller →
// InvalidateSecret, and the next read is fresh although the TTL is an
// hour. The rule uses changes.EventPattern, so moto's pattern matching
// checks it too.
func TestEventsThroughMoto(t *testing.T) {
	w := newMotoWorld(t)
	ctx := motoserver.WithTimeout(t)
	got := make(chan changes.Change, 4)
	p, err := changes.Start(ctx, w.c, w.queue(), changes.WithNotify(func(ch changes.Change) { got <- ch }))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	steps := []struct {
		name, value string
		announce    func()
	}{
		{"Secret Label Updated", "two", func() {
			w.put(t, ctx, "aws.secretsmanager", changes.SecretLabelUpdated, []string{w.secretARN},
				map[string]string{"name": "prod/db", "labelUpdated": "AWSCURRENT", "versionId": "v"})
		}},
		{"CloudTrail PutSecretValue", "three", func() {
			w.put(t, ctx, "aws.secretsmanager", changes.CloudTrailCall, nil, map[string]any{
				"eventSource": "secretsmanager.amazonaws.com", "eventName": "PutSecretValue",
				"requestParameters": map[string]string{"secretId": w.secretARN}, "responseElements": map[string]string{"aRN": w.secretARN}})
		}},
	}
	if v := w.secret(t, ctx); v != "one" {
		t.Fatalf("first read = %q; want one", v)
	}
	for _, s := range steps {
		if _, err := w.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String(s.value)}); err != nil {
			t.Fatal(err)
		}
		if v := w.secret(t, ctx); v == s.value {
			t.Fatalf("%s: read before the event = %q; want the cached value", s.name, v)
		}
		s.announce()
		if ch := waitChange(t, got); ch.Kind != changes.KindSecret {
			t.Fatalf("%s: change = %+v; want a secret", s.name, ch)
		}
		if v := w.secret(t, ctx); v != s.value {
			t.Errorf("%s: read after the event = %q; want %q", s.name, v, s.value)
		}
	}

	// A parameter, through the event Parameter Store sends.
	read := func() string {
		v, err := w.c.Parameter(ctx, cache.ParameterRequest{Name: "/app/db"})
		if err != nil {
			t.Fatal(err)
		}
		return v.Value()
	}
	read()
	if _, err := w.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db"), Value: aws.String("p2"),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	w.put(t, ctx, "aws.ssm", changes.ParameterStoreChange, []string{"arn:aws:ssm:us-east-1:123456789012:parameter/app/db"},
		map[string]string{"operation": "Update", "name": "/app/db", "type": "String"})
	waitChange(t, got)
	if v := read(); v != "p2" {
		t.Errorf("parameter read after the event = %q; want p2", v)
	}
	p.Close()
	if st := p.Stats(); st.Changes != 3 || st.Deleted != 3 || st.Malformed != 0 {
		t.Errorf("Stats = %+v; want 3 changes, 3 deleted", st)
	}
	w.assertEmpty(t, ctx)
}

// assertEmpty checks the queue holds no message, visible or in flight.
func (w *motoWorld) assertEmpty(t testing.TB, ctx context.Context) {
	t.Helper()
	attrs, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		if n := attrs.Attributes[string(a)]; n != "0" {
			t.Errorf("%s = %s; want 0", a, n)
		}
	}
}

// logSignal is a slog handler that sends each record's message on a
// channel (dropping it when the channel is full).
type logSignal chan string

func (s logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (s logSignal) Handle(_ context.Context, r slog.Record) error {
	select {
	case s <- r.Message:
	default:
	}
	return nil
}
func (s logSignal) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s logSignal) WithGroup(string) slog.Handler      { return s }

// A malformed message sent to the queue is deleted and counted, through
// real SQS calls.
func TestPoisonThroughMoto(t *testing.T) {
	w := newMotoWorld(t)
	ctx := motoserver.WithTimeout(t)
	for _, body := range []string{"not json", `{"detail-type":"Parameter Store Change","source":"aws.ssm","detail":{}}`} {
		if _, err := w.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(w.queueURL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	logs := make(logSignal, 16)
	p, err := changes.Start(ctx, w.c, w.queue(), changes.WithLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 2; {
		select {
		case m := <-logs:
			if m == "changes: malformed message deleted" {
				n++
			}
		case <-ctx.Done():
			t.Fatal("the malformed messages were not handled")
		}
	}
	p.Close()
	if st := p.Stats(); st.Malformed != 2 || st.Deleted != 2 {
		t.Errorf("Stats = %+v; want 2 malformed, 2 deleted", st)
	}
	w.assertEmpty(t, ctx)
}

// A queue that cannot be reached (a closed port): the poller backs off and
// logs, and the cache keeps serving its values.
func TestQueueUnreachable(t *testing.T) {
	w := newMotoWorld(t)
	ctx := motoserver.WithTimeout(t)
	if v := w.secret(t, ctx); v != "one" {
		t.Fatalf("first read = %q; want one", v)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	cfg := w.srv.Config()
	cfg.RetryMaxAttempts = 1
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(dead) })
	logs := make(logSignal, 16)
	p, err := changes.Start(ctx, w.c, changes.Queue{URL: dead + "/123456789012/parsec-changes", Receive: client, Delete: client},
		changes.WithLogger(slog.New(logs)), changes.WithBackoff(time.Millisecond, 4*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for n := 0; n < 3; {
		select {
		case m := <-logs:
			if m == "changes: ReceiveMessage failed; values are kept for their TTL meanwhile" {
				n++
			}
		case <-ctx.Done():
			t.Fatal("no failed receive logged")
		}
	}
	if v := w.secret(t, ctx); v != "one" {
		t.Errorf("read while the queue is unreachable = %q; want one", v)
	}
	if st := p.Stats(); st.ReceiveErrors < 3 || st.Receives != 0 {
		t.Errorf("Stats = %+v; want at least 3 receive errors", st)
	}
}
