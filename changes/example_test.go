package changes_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/changes"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// A secret cached for an hour is read fresh as soon as its change event
// arrives. In production the queue is an *sqs.Client and the cache reads
// AWS; here a function stands for the queue and sourcetest for AWS.
func Example() {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	_, _ = srv.CreateSecret(sourcetest.Secret{Name: "prod/db"}, sourcetest.SecretVersion{String: aws.String("one")})
	c, _ := cache.New(srv.InMemoryClients(), cache.WithSecretTTL(time.Hour))
	defer c.Close()
	ctx := context.Background()
	s, _ := c.Secret(ctx, cache.SecretRequest{SecretID: "prod/db"})
	fmt.Println(s.Value())

	// The secret changes upstream; Secrets Manager announces it.
	_, _ = srv.PutSecretValue("prod/db", sourcetest.SecretVersion{String: aws.String("two")})
	event := `{"detail-type":"Secret Label Updated","source":"aws.secretsmanager",` +
		`"detail":{"name":"prod/db","labelUpdated":"AWSCURRENT"}}`
	var once sync.Once
	receive := changes.ReceiverFunc(func(ctx context.Context, _ *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
		out := &sqs.ReceiveMessageOutput{}
		once.Do(func() {
			out.Messages = []sqstypes.Message{{MessageId: aws.String("m1"), ReceiptHandle: aws.String("r1"), Body: aws.String(event)}}
		})
		if len(out.Messages) == 0 {
			<-ctx.Done() // a long poll that ends with the poller
			return nil, ctx.Err()
		}
		return out, nil
	})
	deleted := changes.DeleterFunc(func(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
		return &sqs.DeleteMessageBatchOutput{}, nil
	})
	handled := make(chan changes.Change, 1)
	p, err := changes.Start(ctx, c, changes.Queue{URL: "https://sqs.us-east-1.amazonaws.com/123456789012/changes", Receive: receive, Delete: deleted},
		changes.WithNotify(func(ch changes.Change) { handled <- ch }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	ch := <-handled
	fmt.Println(ch.Kind, ch.Names, ch.Action)
	s, _ = c.Secret(ctx, cache.SecretRequest{SecretID: "prod/db"})
	fmt.Println(s.Value())
	// Output:
	// one
	// secret [prod/db] AWSCURRENT
	// two
}

// Parse reads one message body.
func ExampleParse() {
	ch, err := changes.Parse([]byte(`{"detail-type":"Parameter Store Change","source":"aws.ssm",` +
		`"resources":["arn:aws:ssm:us-east-1:123456789012:parameter/app/db"],` +
		`"detail":{"operation":"Update","name":"/app/db","type":"String"}}`))
	fmt.Println(ch.Kind, ch.Names, ch.Action, err)
	_, err = changes.Parse([]byte("not an event"))
	fmt.Println(err)
	// Output:
	// parameter [/app/db arn:aws:ssm:us-east-1:123456789012:parameter/app/db] Update <nil>
	// malformed change event: not JSON: syntax error at byte 2
}
