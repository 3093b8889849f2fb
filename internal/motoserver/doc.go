// Package motoserver starts moto_server, an independent emulator of SSM,
// Secrets Manager and KMS, for parsec's integration tests.
//
// One server runs per test binary ([Main] in TestMain); tests call [Require]
// to get it, reset to an empty state. When moto_server is not installed the
// tests that need it are skipped with a message naming the missing program,
// except when the environment variable CI is "true": there the absence is a
// failure, so a green CI run always means the integration tests ran.
package motoserver
