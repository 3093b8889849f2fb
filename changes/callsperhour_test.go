package changes_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/changes"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestCallsPerHour counts, on a fake clock, the upstream calls one secret
// costs in an hour under each policy, read once a second; the secret
// rotates once, about half way through (its NextRotationDate). It checks the counts the
// documentation (docs/rotation.md) states and logs them as a table.
func TestCallsPerHour(t *testing.T) {
	const rotateAt = 1810 // seconds: off the 300 s TTL's boundaries
	type counts struct{ get, describe, receive int }
	tests := []struct {
		name string
		opts []cache.Option
		// events starts a poller on an idle queue that announces the
		// rotation.
		events bool
		// want is the exact count, or with wantMax a range.
		want, wantMax counts
	}{
		{"TTL 300 s (the extension)", []cache.Option{cache.WithTTL(300 * time.Second), cache.WithRefreshAhead(0)}, false,
			counts{get: 12}, counts{}},
		{"TTL 300 s, refresh-ahead 0.8 (parsec's default)", []cache.Option{cache.WithTTL(300 * time.Second)}, false,
			counts{get: 15}, counts{get: 17}},
		{"rotation-aware, TTL 300 s", []cache.Option{cache.WithTTL(300 * time.Second), cache.WithRefreshAhead(0), cache.WithRotationAware(true)}, false,
			counts{get: 2, describe: 12}, counts{get: 2, describe: 13}},
		{"rotation-aware, TTL 1 h", []cache.Option{cache.WithTTL(time.Hour), cache.WithRefreshAhead(0), cache.WithRotationAware(true)}, false,
			counts{get: 2, describe: 2}, counts{}},
		{"TTL 1 h, change events", []cache.Option{cache.WithTTL(time.Hour), cache.WithRefreshAhead(0)}, true,
			counts{get: 2, receive: 180}, counts{get: 2, receive: 182}},
		{"TTL 1 h alone (stale for up to an hour after the rotation)", []cache.Option{cache.WithTTL(time.Hour), cache.WithRefreshAhead(0)}, false,
			counts{get: 1}, counts{}},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-62s %14s %14s %14s %s\n", "policy (one secret read each second, one rotation)", "GetSecretValue", "DescribeSecret", "ReceiveMessage", "old value served after the rotation for")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := sourcetest.NewInMemory()
				defer srv.Close()
				if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("one")}); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if err := srv.SetRotation("db", sourcetest.Rotation{Enabled: true, AfterDays: 1, Next: start.Add(rotateAt * time.Second)}); err != nil {
					t.Fatal(err)
				}
				c, err := cache.New(srv.InMemoryClients(), tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				q := newFakeQueue()
				var receives atomic.Int64
				if tt.events {
					qq := q.queue()
					qq.Receive = changes.ReceiverFunc(func(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
						receives.Add(1)
						return q.ReceiveMessage(ctx, in)
					})
					p, err := changes.Start(t.Context(), c, qq)
					if err != nil {
						t.Fatal(err)
					}
					defer p.Close()
				}
				staleFor := "never fresh within the hour"
				for i := range 3600 {
					if i == rotateAt { // the rotation, at its NextRotationDate
						id, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("two"), Stages: []string{source.StagePending}})
						if err != nil {
							t.Fatal(err)
						}
						if err := srv.FinishRotation("db", id); err != nil {
							t.Fatal(err)
						}
						q.push(labelUpdated("db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"))
					}
					s, err := c.Secret(t.Context(), cache.SecretRequest{SecretID: "db"})
					if err != nil {
						t.Fatal(err)
					}
					if i >= rotateAt && s.Value() == "two" && strings.HasPrefix(staleFor, "never") {
						staleFor = (time.Duration(i-rotateAt) * time.Second).String()
					}
					advance(time.Second)
					synctest.Wait()
				}
				got := counts{srv.Calls("GetSecretValue"), srv.Calls("DescribeSecret"), int(receives.Load())}
				hi := tt.wantMax
				if hi == (counts{}) {
					hi = tt.want
				}
				if got.get < tt.want.get || got.get > hi.get || got.describe < tt.want.describe || got.describe > hi.describe ||
					got.receive < tt.want.receive || got.receive > hi.receive {
					t.Errorf("calls in an hour = %+v; want from %+v to %+v", got, tt.want, hi)
				}
				fmt.Fprintf(&table, "%-62s %14d %14d %14d %s\n", tt.name, got.get, got.describe, got.receive, staleFor)
			})
		})
	}
	t.Log(table.String())
}
