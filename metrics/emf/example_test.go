package emf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/metrics/emf"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// At the end of each invocation, write the cache's counters since the
// previous invocation as one EMF line on stdout, which Lambda sends to
// CloudWatch Logs.
func Example() {
	srv := sourcetest.NewServer() // a fake AWS; source.New(cfg) in production
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/db/host", Value: "db.internal"})
	c, err := cache.New(srv.Clients())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	var out bytes.Buffer // os.Stdout in Lambda
	w, err := emf.New(&out, "MyApp",
		emf.WithDimension("FunctionName", "orders"), // os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
		emf.WithClock(func() time.Time { return time.UnixMilli(1764630000000) }))
	if err != nil {
		panic(err)
	}
	for range 2 { // two invocations
		for range 3 {
			_, _ = c.Parameter(context.Background(), cache.ParameterRequest{Name: "/app/db/host"})
		}
		_ = w.Write(c.Stats())
	}
	// Each line is a JSON object; print a few of its members.
	for line := range bytes.Lines(out.Bytes()) {
		var doc struct {
			AWS struct {
				Timestamp         int64
				CloudWatchMetrics []struct{ Namespace string }
			} `json:"_aws"`
			FunctionName                 string
			Hits, Misses, Loads, Entries int
		}
		if err := json.Unmarshal(line, &doc); err != nil {
			panic(err)
		}
		fmt.Printf("%s %d %s: hits %d, misses %d, loads %d, entries %d\n", doc.AWS.CloudWatchMetrics[0].Namespace,
			doc.AWS.Timestamp, doc.FunctionName, doc.Hits, doc.Misses, doc.Loads, doc.Entries)
	}
	// Output:
	// MyApp 1764630000000 orders: hits 2, misses 1, loads 1, entries 1
	// MyApp 1764630000000 orders: hits 3, misses 0, loads 0, entries 1
}
