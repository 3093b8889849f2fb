package httpcompat_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/source"
)

// In a Go Lambda function, one line of init serves the extension's API on
// localhost:2773 for code written against it (a library, a subprocess, a
// Node.js or Python helper), configured by the extension's own environment
// variables.
func ExampleStart() {
	cfg := aws.Config{Region: os.Getenv("AWS_REGION")} // usually config.LoadDefaultConfig
	c, err := cache.New(source.New(cfg), cache.WithEnv(os.Getenv))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := httpcompat.Start(c, os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	// lambda.Start(handler) ...
}

// A handler over a cache, exercised in process with httptest.
func ExampleNewHandler() {
	ssmFake := source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
		return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{
			Name: in.Name, Type: ssmtypes.ParameterTypeString, Value: aws.String("blue"), Version: 4,
		}}, nil
	})
	c, err := cache.New(source.Clients{Parameter: ssmFake})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	h, err := httpcompat.NewHandler(c, httpcompat.WithToken("session-token"))
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest("GET", "/systemsmanager/parameters/get?name=%2Fapp%2Fcolour", nil)
	r.Host = "localhost:2773"
	r.Header.Set("x-aws-parameters-secrets-token", "session-token")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body)
	// Output:
	// 200 {"Parameter":{"ARN":null,"DataType":null,"LastModifiedDate":null,"Name":"/app/colour","Selector":null,"SourceResult":null,"Type":"String","Value":"blue","Version":4},"ResultMetadata":{}}
}

// Listen serves any handler on a loopback port; port 0 picks a free one.
func ExampleListen() {
	c, err := cache.New(source.Clients{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	h, err := httpcompat.NewHandler(c, httpcompat.WithToken("session-token"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := httpcompat.Listen("127.0.0.1:0", h)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client := &http.Client{}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL() + "/ping")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))

	_, err = httpcompat.Listen("0.0.0.0:2773", h)
	fmt.Println(err != nil)
	// Output:
	// 200 healthy
	// true
}

// TokenFromEnv reads the token as the Secrets Manager Agent does.
func ExampleTokenFromEnv() {
	env := map[string]string{"AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2Vj..."}
	token, err := httpcompat.TokenFromEnv(func(k string) string { return env[k] })
	fmt.Println(token, err)
	// Output:
	// IQoJb3JpZ2luX2Vj... <nil>
}

// Error replies are the extension's bytes by default, with the detail in
// headers; WithJSONErrors opts in to AWS's JSON error shape.
func ExampleWithJSONErrors() {
	missing := source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("Parameter " + aws.ToString(in.Name) + " not found.")}
	})
	c, err := cache.New(source.Clients{Parameter: missing}, cache.WithNegativeTTL(0))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, opts := range [][]httpcompat.Option{nil, {httpcompat.WithJSONErrors()}} {
		h, err := httpcompat.NewHandler(c, append(opts, httpcompat.WithToken("session-token"))...)
		if err != nil {
			log.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/systemsmanager/parameters/get?name=%2Fapp%2Fgone", nil)
		r.Host = "localhost:2773"
		r.Header.Set("x-aws-parameters-secrets-token", "session-token")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get(httpcompat.ErrorTypeHeader))
		body := w.Body.String()
		if i := strings.Index(body, `"message":`); i >= 0 {
			body = body[:i+len(`"message":`)] + "…" // operation, name and AWS's message
		}
		fmt.Println(body)
	}
	// Output:
	// 400 text/plain ParameterNotFound
	// an unexpected error occurred while executing request
	// 400 application/json ParameterNotFound
	// {"__type":"ParameterNotFound","message":…
}
