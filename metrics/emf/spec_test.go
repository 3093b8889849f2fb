package emf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// document is an EMF line decoded and checked against the embedded metric
// format specification (CloudWatch User Guide, "Specification: Embedded
// metric format"):
//
//   - the log event is one JSON object with nothing before or after it;
//   - the root has "_aws", an object with "Timestamp" (a number of
//     milliseconds since the epoch) and "CloudWatchMetrics" (an array of
//     MetricDirective objects); no other members are defined for it but
//     "LogGroupName" and "LogStreamName";
//   - a MetricDirective has exactly "Namespace" (a string, 1 to 255
//     characters here), "Dimensions" (an array of DimensionSets: arrays of
//     at most 30 dimension keys, each a string) and "Metrics" (an array of
//     at most 100 MetricDefinitions);
//   - a MetricDefinition has "Name" (a non-empty string of at most 1024
//     characters), optionally "Unit" (one of CloudWatch's units) and
//     "StorageResolution" (1 or 60), nothing else;
//   - every dimension key and metric name is a top-level member: a
//     dimension's value a non-empty string of at most 1024 characters, a
//     metric's a number or an array of at most 100 numbers;
//   - the event is at most 1 MB.
type document struct {
	Timestamp  int64
	Namespaces []string
	Dimensions map[string]string  // dimension key → value
	Sets       [][]string         // the dimension sets of the first directive
	Units      map[string]string  // metric name → unit
	Values     map[string]float64 // metric name → value
}

var units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
	"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// parseEMF decodes line (one line, with its newline) and returns the
// violations of the specification it finds.
func parseEMF(line []byte) (document, []string) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	doc := document{Dimensions: map[string]string{}, Units: map[string]string{}, Values: map[string]float64{}}
	if len(line) > 1<<20 {
		bad("event of %d bytes: over 1 MB", len(line))
	}
	if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
		bad("not one line ending in a newline: %q", line)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var root map[string]json.RawMessage
	if err := dec.Decode(&root); err != nil {
		return doc, append(errs, "not a JSON object: "+err.Error())
	}
	if rest := strings.TrimSpace(string(line[dec.InputOffset():])); rest != "" {
		bad("data after the JSON object: %q", rest)
	}
	var aws map[string]json.RawMessage
	if err := json.Unmarshal(root["_aws"], &aws); err != nil {
		return doc, append(errs, "_aws: not an object")
	}
	for k := range aws {
		if !slices.Contains([]string{"Timestamp", "CloudWatchMetrics", "LogGroupName", "LogStreamName"}, k) {
			bad("_aws has the unknown member %q", k)
		}
	}
	var ts json.Number
	if err := json.Unmarshal(aws["Timestamp"], &ts); err != nil {
		bad("_aws.Timestamp: not a number: %s", aws["Timestamp"])
	} else if doc.Timestamp, err = ts.Int64(); err != nil || doc.Timestamp <= 0 {
		bad("_aws.Timestamp %s: want positive whole milliseconds", ts)
	}
	var dirs []map[string]json.RawMessage
	if err := json.Unmarshal(aws["CloudWatchMetrics"], &dirs); err != nil || len(dirs) == 0 {
		return doc, append(errs, "_aws.CloudWatchMetrics: not a non-empty array of objects")
	}
	member := func(name string) (json.RawMessage, bool) { v, ok := root[name]; return v, ok }
	for i, d := range dirs {
		for k := range d {
			if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
				bad("directive %d has the unknown member %q", i, k)
			}
		}
		var ns string
		if err := json.Unmarshal(d["Namespace"], &ns); err != nil || ns == "" || utf8.RuneCountInString(ns) > 255 {
			bad("directive %d: Namespace %s: want a string of 1 to 255 characters", i, d["Namespace"])
		}
		doc.Namespaces = append(doc.Namespaces, ns)
		var sets [][]string
		if err := json.Unmarshal(d["Dimensions"], &sets); err != nil || sets == nil {
			bad("directive %d: Dimensions %s: want an array of arrays of strings", i, d["Dimensions"])
		}
		if i == 0 {
			doc.Sets = sets
		}
		for _, set := range sets {
			if len(set) > 30 {
				bad("directive %d: a dimension set of %d keys: at most 30", i, len(set))
			}
			for _, k := range set {
				raw, ok := member(k)
				var v string
				if !ok || json.Unmarshal(raw, &v) != nil || v == "" || utf8.RuneCountInString(v) > 1024 {
					bad("dimension %q: want a top-level string member of 1 to 1024 characters, got %s", k, raw)
				}
				doc.Dimensions[k] = v
			}
		}
		var defs []map[string]json.RawMessage
		if err := json.Unmarshal(d["Metrics"], &defs); err != nil {
			bad("directive %d: Metrics: not an array of objects", i)
		}
		if len(defs) > 100 {
			bad("directive %d: %d metrics: at most 100", i, len(defs))
		}
		for _, def := range defs {
			var name, unit string
			for k := range def {
				if k != "Name" && k != "Unit" && k != "StorageResolution" {
					bad("metric definition has the unknown member %q", k)
				}
			}
			if err := json.Unmarshal(def["Name"], &name); err != nil || name == "" || utf8.RuneCountInString(name) > 1024 {
				bad("metric Name %s: want a string of 1 to 1024 characters", def["Name"])
			}
			if raw, ok := def["Unit"]; ok {
				if json.Unmarshal(raw, &unit) != nil || !slices.Contains(units, unit) {
					bad("metric %q: Unit %s is not a CloudWatch unit", name, raw)
				}
			}
			if raw, ok := def["StorageResolution"]; ok && string(raw) != "1" && string(raw) != "60" {
				bad("metric %q: StorageResolution %s: want 1 or 60", name, raw)
			}
			if _, dup := doc.Units[name]; dup {
				bad("metric %q defined twice", name)
			}
			doc.Units[name] = unit
			raw, ok := member(name)
			var n json.Number
			if !ok || json.Unmarshal(raw, &n) != nil {
				bad("metric %q: want a top-level number member, got %s", name, raw)
				continue
			}
			f, err := n.Float64()
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				bad("metric %q: %s is not a finite number", name, n)
			}
			doc.Values[name] = f
		}
	}
	return doc, errs
}
