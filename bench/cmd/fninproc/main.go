// Command fninproc is the benchmark's stand-in for a Lambda function that
// reads its parameters in process through parsec: it loads the SDK's
// default configuration (AWS_ENDPOINT_URL points it at a fake), builds a
// cache, reads -n parameters, prints "ready" and, with -hold, waits for
// stdin to close so its memory can be measured.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

func main() {
	name := flag.String("name", "/bench/start/value", "the parameter to read when -n is 1")
	n := flag.Int("n", 1, "read this many parameters: /bench/mem/0000 upwards when more than 1")
	hold := flag.Bool("hold", false, "after reading, wait until stdin closes")
	flag.Parse()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fail(err)
	}
	c, err := cache.New(source.New(cfg), cache.WithMaxEntries(max(1000, *n)))
	if err != nil {
		fail(err)
	}
	defer c.Close()
	for i := range *n {
		req := cache.ParameterRequest{Name: *name, WithDecryption: true}
		if *n > 1 {
			req.Name = fmt.Sprintf("/bench/mem/%04d", i)
		}
		if _, err := c.Parameter(ctx, req); err != nil {
			fail(err)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "ready %d\n", c.Stats().Loads)
	_ = w.Flush()
	if *hold {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fninproc:", err)
	os.Exit(1)
}
