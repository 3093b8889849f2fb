package httpcompat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const cloudBenchBody = `{"Name":"/app/plain"}`

// signedParameterStore returns a POST /parameterstore GetParameter request
// to base, signed now with the test key, as an SDK sends it.
func signedParameterStore(b *testing.B, base string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, base+routeParameterStore, bytes.NewReader([]byte(cloudBenchBody)))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", json11ContentType)
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	sum := sha256.Sum256([]byte(cloudBenchBody))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey.ID, SecretAccessKey: testKey.Secret},
		req, hex.EncodeToString(sum[:]), "ssm", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return req
}

// benchPost sends req again (a fresh body reader each time) over a
// keep-alive connection and fails on anything but 200.
func benchPost(b *testing.B, client *http.Client, req *http.Request) {
	req.Body = io.NopCloser(bytes.NewReader([]byte(cloudBenchBody)))
	benchGet(b, client, req)
}

// BenchmarkCloudVsCompat compares a cached parameter read over loopback
// (keep-alive) through the extension's GET route on :2773 with the same
// read through Cloud Extensions' POST /parameterstore, signed with the
// extension key and unsigned (auth none). The POST sub-benchmarks report
// x-compat: how many times the GET route's cost they are.
func BenchmarkCloudVsCompat(b *testing.B) {
	compat, _, _ := newTestHandler(b)
	var base float64
	b.Run("compat-get", func(b *testing.B) {
		s := listen(b, compat)
		client := &http.Client{}
		defer client.CloseIdleConnections()
		r := benchRequest(b, s.URL()+"/systemsmanager/parameters/get?name=%2Fapp%2Fplain")
		benchGet(b, client, r) // load the value
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, r)
		}
		base = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, signed := range []bool{true, false} {
		name := "parameterstore-signed"
		opt := WithExtensionKey(testKey)
		if !signed {
			name, opt = "parameterstore-unsigned", WithoutAuthentication()
		}
		b.Run(name, func(b *testing.B) {
			h, err := NewCloudExtensions(newCache(b, (&upstream{}).clients()), opt)
			if err != nil {
				b.Fatal(err)
			}
			s := listen(b, h)
			client := &http.Client{}
			defer client.CloseIdleConnections()
			r := signedParameterStore(b, s.URL())
			if !signed {
				r.Header.Del("Authorization")
			}
			benchPost(b, client, r) // load the value
			b.ReportAllocs()
			for b.Loop() {
				benchPost(b, client, r)
			}
			if base > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-compat")
			}
		})
	}
}

// BenchmarkSignatureCheck is the cost of verifying one request's SigV4
// signature alone (the SDK's signer rebuilding the canonical request), in
// process.
func BenchmarkSignatureCheck(b *testing.B) {
	v := newVerifier(testKey, time.Now)
	r := signedParameterStore(b, "http://localhost:5333")
	r.Host = "localhost:5333"
	body := []byte(cloudBenchBody)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if f := v.verify(ctx, r, body, "ssm", parameterStoreSkew); f != nil {
			b.Fatal(f.detail)
		}
	}
}
