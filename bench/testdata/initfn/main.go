// Command initfn is the Go Lambda function (aws-lambda-go, built as
// bootstrap) of the benchmark's section (d) under aws-lambda-rie: during
// its INIT it reads the parameter INITFN_NAME in one of three ways, chosen
// by INITFN_MODE:
//
//   - inproc: the SDK's default configuration (AWS_ENDPOINT_URL points it
//     at the benchmark's fake), a parsec cache, one Parameter read;
//   - sidecar: one GET through the extension's HTTP API on
//     localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (default 2773) with
//     AWS_SESSION_TOKEN as the token, as code written for the extension does;
//   - none: nothing (the baseline).
//
// Each invocation returns the value read during INIT. It is a separate
// module so that the bench module's go.mod does not depend on
// aws-lambda-go.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

func main() {
	name := os.Getenv("INITFN_NAME")
	var value string
	var err error
	switch mode := os.Getenv("INITFN_MODE"); mode {
	case "inproc":
		value, err = inProcess(name)
	case "sidecar":
		value, err = viaExtension(name)
	case "none", "":
	default:
		err = fmt.Errorf("unknown INITFN_MODE %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "initfn: read during INIT:", err)
		os.Exit(1)
	}
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return value, nil })
}

func inProcess(name string) (string, error) {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return "", err
	}
	c, err := cache.New(source.New(cfg))
	if err != nil {
		return "", err
	}
	// The cache lives for the environment's lifetime in a real function;
	// here only the INIT read matters.
	p, err := c.Parameter(ctx, cache.ParameterRequest{Name: name, WithDecryption: true})
	if err != nil {
		return "", err
	}
	return p.Value(), nil
}

func viaExtension(name string) (string, error) {
	port := os.Getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	if port == "" {
		port = "2773"
	}
	req, err := http.NewRequest(http.MethodGet, "http://localhost:"+port+"/systemsmanager/parameters/get?withDecryption=true&name="+url.QueryEscape(name), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", os.Getenv("AWS_SESSION_TOKEN"))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	var out struct{ Parameter struct{ Value string } }
	if err := json.Unmarshal(body, &out); err != nil {
		return "", err
	}
	return out.Parameter.Value, nil
}
