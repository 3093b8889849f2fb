// Package lambdaext is a client of the AWS Lambda Extensions API, the HTTP
// API an external extension uses to take part in a Lambda execution
// environment's lifecycle: register, wait for events (INVOKE, SHUTDOWN) and
// report initialisation and exit failures.
//
// The API is served by Lambda (or the Runtime Interface Emulator) at the
// host:port in the AWS_LAMBDA_RUNTIME_API environment variable, under the
// /2020-01-01/extension/ prefix. A [Client] is created with [New], registers
// once with [Client.Register] (which records the extension identifier every
// later call carries), then calls [Client.Next] in a loop until a SHUTDOWN
// event arrives. [Client.Next] blocks for as long as Lambda wants: while the
// environment is frozen between invocations it simply does not return.
//
// Every method takes a context and makes one HTTP request; none retries. A
// [Client] is safe for concurrent use, though the API itself expects one
// Next at a time.
package lambdaext
