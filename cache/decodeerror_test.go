package cache_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestDecodeErrorKeepsOnlyTheKind: a JSON value that does not fit the
// requested type gives an error naming the parameter, the field and the
// JSON kind, never the value's digits or its own keys.
func TestDecodeErrorKeepsOnlyTheKind(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	c, err := cache.New(srv.InMemoryClients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type pin struct {
		Pin uint8 `json:"pin"`
	}
	type nested struct {
		Keys map[string]pin `json:"keys"`
	}
	tests := []struct {
		name, value string
		decode      func(name string) error
		want        string
		secrets     []string
	}{
		{"/t/number", `{"pin":987654321}`, func(n string) error {
			_, err := cache.ParameterJSON[pin](context.Background(), c, cache.ParameterRequest{Name: n})
			return err
		}, "decode /t/number into cache_test.pin: JSON number does not fit field pin of type uint8", []string{"987654321"}},
		{"/t/negative", `{"pin":-42}`, func(n string) error {
			_, err := cache.ParameterJSON[pin](context.Background(), c, cache.ParameterRequest{Name: n})
			return err
		}, "JSON number does not fit field pin of type uint8", []string{"42"}},
		{"/t/mapkey", `{"keys":{"hunter2-key":{"pin":"secret-string"}}}`, func(n string) error {
			_, err := cache.ParameterJSON[nested](context.Background(), c, cache.ParameterRequest{Name: n})
			return err
		}, "JSON string does not fit", []string{"hunter2", "secret-string"}},
		{"/t/float", `3.14159`, func(n string) error {
			_, err := cache.ParameterJSON[int](context.Background(), c, cache.ParameterRequest{Name: n})
			return err
		}, "JSON number does not fit type int", []string{"14159"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := srv.PutParameter(sourcetest.Parameter{Name: tt.name, Value: tt.value}); err != nil {
				t.Fatal(err)
			}
			err := tt.decode(tt.name)
			if !errors.Is(err, cache.ErrDecode) {
				t.Fatalf("decode %s = %v; want ErrDecode", tt.value, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q; want it to contain %q", err, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q quotes %q from the value", err, s)
				}
			}
		})
	}
}
