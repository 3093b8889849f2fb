// Command fnsidecar is the benchmark's stand-in for a Lambda function that
// reads its parameters through the extension's HTTP API (here parsecd at
// PARSEC_URL), with only net/http, as code written for the extension does:
// it reads -n parameters, prints "ready" and, with -hold, waits for stdin
// to close so its memory can be measured.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

func main() {
	name := flag.String("name", "/bench/start/value", "the parameter to read when -n is 1")
	n := flag.Int("n", 1, "read this many parameters: /bench/mem/0000 upwards when more than 1")
	hold := flag.Bool("hold", false, "after reading, wait until stdin closes")
	flag.Parse()
	base := os.Getenv("PARSEC_URL")
	token := os.Getenv("AWS_TOKEN")
	for i := range *n {
		p := *name
		if *n > 1 {
			p = fmt.Sprintf("/bench/mem/%04d", i)
		}
		req, err := http.NewRequest(http.MethodGet, base+"/systemsmanager/parameters/get?withDecryption=true&name="+url.QueryEscape(p), nil)
		if err != nil {
			fail(err)
		}
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fail(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fail(fmt.Errorf("%s: HTTP %d", p, resp.StatusCode))
		}
	}
	fmt.Println("ready")
	if *hold {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fnsidecar:", err)
	os.Exit(1)
}
