// Command gofunc is the Go Lambda function of parsecd's end-to-end test: it
// reads a parameter and a secret through the extension's HTTP API during its
// INIT and during every invocation, and returns what it read.
//
// It is a separate module so that the library's go.mod does not depend on
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
)

// result is what one read round returns.
type result struct {
	Param  string `json:"param"`
	Secret string `json:"secret"`
}

// response is the function's answer.
type response struct {
	Init   *result `json:"init"`
	Invoke result  `json:"invoke"`
}

var client = &http.Client{Timeout: 5 * time.Second}

func base() string {
	port := os.Getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	if port == "" {
		port = "2773"
	}
	return "http://localhost:" + port
}

func get(path string, out any) error {
	req, err := http.NewRequest(http.MethodGet, base()+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", os.Getenv("AWS_SESSION_TOKEN"))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

func read() (result, error) {
	var p struct{ Parameter struct{ Value string } }
	if err := get("/systemsmanager/parameters/get?name="+url.QueryEscape(os.Getenv("E2E_PARAM")), &p); err != nil {
		return result{}, err
	}
	var s struct{ SecretString string }
	if err := get("/secretsmanager/get?secretId="+url.QueryEscape(os.Getenv("E2E_SECRET")), &s); err != nil {
		return result{}, err
	}
	return result{Param: p.Parameter.Value, Secret: s.SecretString}, nil
}

func main() {
	var init *result
	if os.Getenv("E2E_INIT_READS") != "0" {
		r, err := read() // during INIT: must succeed
		if err != nil {
			fmt.Fprintln(os.Stderr, "gofunc: read during INIT:", err)
			os.Exit(1)
		}
		init = &r
	}
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (response, error) {
		r, err := read()
		return response{Init: init, Invoke: r}, err
	})
}
