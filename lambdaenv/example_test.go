package lambdaenv_test

import (
	"errors"
	"fmt"

	"github.com/parsec-go/parsec/lambdaenv"
)

func ExampleParse() {
	env := map[string]string{
		lambdaenv.EnvSecretTTL: "60",
		lambdaenv.EnvHTTPPort:  "99999",
		lambdaenv.EnvCacheSize: "ten",
		lambdaenv.EnvLogLevel:  "debug",
		"AWS_REGION":           "us-east-1",
	}
	s, err := lambdaenv.Parse(func(k string) string { return env[k] })
	var ve *lambdaenv.VarError
	if errors.As(err, &ve) {
		fmt.Println("first bad variable:", ve.Var, ve.Value)
	}
	fmt.Println(err)
	fmt.Println(s.SecretTTL, lambdaenv.LevelName(s.LogLevel))
	// Output:
	// first bad variable: PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE ten
	// PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE="ten": must be a whole number from 0 to 1000000
	// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="99999": must be a whole number from 1 to 65535
	// 1m0s DEBUG
}

func ExampleTable() {
	for _, v := range lambdaenv.Table()[:2] {
		fmt.Printf("%s: %s (%s)\n", v.Name, v.Range, v.Default)
	}
	// Output:
	// PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: TRUE|FALSE (TRUE)
	// PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: 0–1000000 (1000)
}
