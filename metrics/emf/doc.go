// Package emf writes a [cache.Stats] snapshot as one line of CloudWatch
// embedded metric format (EMF): a JSON object that CloudWatch Logs turns
// into metrics, with no API call and no dependency. In Lambda, a line written
// to stdout (by the function or by an extension) is a log event, so
//
//	w, _ := emf.New(os.Stdout, "MyApp", emf.WithDimension("FunctionName", os.Getenv("AWS_LAMBDA_FUNCTION_NAME")))
//	defer w.Write(c.Stats()) // at the end of an invocation
//
// publishes the cache's counters. [Writer.Run] writes a line on a schedule.
//
// Each line holds every metric of [metrics.All] under its cache.Stats field
// name (Hits, Loads, ...; a counter added to cache.Stats appears without a
// change here): counters as the delta since the writer's previous line, so
// that CloudWatch's Sum over a period is the count in that period; gauges
// (Entries) as their value. The first line's deltas count from zero. A
// counter smaller than in the previous line (a new cache) counts from zero
// again.
//
// A line looks like this (wrapped here; the metrics list shortened):
//
//	{"_aws":{"Timestamp":1764630000000,"CloudWatchMetrics":[{"Namespace":"MyApp",
//	"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"Hits","Unit":"Count"},...]}]},
//	"FunctionName":"orders","Hits":2,"NegativeHits":0,"Misses":1,"Loads":1,...,"Entries":1}
//
// A line follows the specification's rules, which [New] checks for the
// namespace and dimensions it is given: "_aws" with "Timestamp" in
// milliseconds and one "CloudWatchMetrics" directive per 100 metrics, each
// with the namespace, one dimension set of at most 30 keys, and the metrics'
// names with unit Count; every metric and dimension a top-level member.
// A line carries counts and the dimensions given, never a parameter or
// secret name or value.
//
// Note that each metric and dimension value combination CloudWatch extracts
// is a custom metric, which CloudWatch bills.
package emf
