package changes_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/parsec-go/parsec/changes"
	"github.com/parsec-go/parsec/internal/motoserver"
)

// BenchmarkEventDelay measures, through moto, the delay from an upstream
// change to the first fresh read of a cache whose TTL is an hour: each
// iteration puts a new secret value, announces it with a Secret Label
// Updated event (PutEvents → the rule → the queue), and reads until the
// poller has invalidated it. It reports the median and the worst delay
// from the start of PutEvents (what a user would see; moto's PutEvents
// alone takes a few hundred ms) and from its return (the poller's part:
// SQS's long poll waking, Parse, InvalidateSecret, one GetSecretValue).
// Run it with -benchtime=20x for the median of 20.
func BenchmarkEventDelay(b *testing.B) {
	w := newMotoWorld(b)
	ctx := motoserver.WithTimeout(b)
	got := make(chan changes.Change, 4)
	p, err := changes.Start(ctx, w.c, w.queue(), changes.WithNotify(func(ch changes.Change) { got <- ch }))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	w.secret(b, ctx)
	var total, after []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		v := fmt.Sprintf("value-%d", i)
		if _, err := w.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String(v)}); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		w.put(b, ctx, "aws.secretsmanager", changes.SecretLabelUpdated, []string{w.secretARN},
			map[string]string{"name": "prod/db", "labelUpdated": "AWSCURRENT", "versionId": "v"})
		t1 := time.Now()
		waitChange(b, got)
		if s := w.secret(b, ctx); s != v {
			b.Fatalf("read after the event = %q; want %q", s, v)
		}
		t2 := time.Now()
		total, after = append(total, t2.Sub(t0)), append(after, t2.Sub(t1))
	}
	slices.Sort(total)
	slices.Sort(after)
	b.ReportMetric(ms(total[len(total)/2]), "ms-median-change-to-fresh")
	b.ReportMetric(ms(total[len(total)-1]), "ms-max-change-to-fresh")
	b.ReportMetric(ms(after[len(after)/2]), "ms-median-after-PutEvents")
	b.ReportMetric(ms(after[len(after)-1]), "ms-max-after-PutEvents")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
