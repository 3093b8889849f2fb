package source

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestMatchParameters(t *testing.T) {
	p := func(name, sel, arn string, version int64) ssmtypes.Parameter {
		out := ssmtypes.Parameter{Name: aws.String(name), ARN: aws.String(arn), Version: version}
		if sel != "" {
			out.Selector = aws.String(sel)
		}
		return out
	}
	arn := "arn:aws:ssm:us-east-1:1:parameter/s"
	tests := []struct {
		name   string
		names  []string
		params []ssmtypes.Parameter
		want   map[string]int64 // requested name → version matched
	}{
		{"AWS: selectors answered, any order",
			[]string{"/s", "/s:1", "/s:old"},
			[]ssmtypes.Parameter{p("/s", ":1", arn, 1), p("/s", ":old", arn, 1), p("/s", "", arn, 2)},
			map[string]int64{"/s": 2, "/s:1": 1, "/s:old": 1}},
		{"moto: no selectors, version selector matched by version",
			[]string{"/s:1", "/s"},
			[]ssmtypes.Parameter{p("/s", "", arn, 1), p("/s", "", arn, 2)},
			map[string]int64{"/s:1": 1, "/s": 2}},
		{"by ARN, with and without selector",
			[]string{arn, arn + ":1"},
			[]ssmtypes.Parameter{p("/s", ":1", arn, 1), p("/s", "", arn, 3)},
			map[string]int64{arn: 3, arn + ":1": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchParameters(tt.names, tt.params)
			for n, v := range tt.want {
				if got[n] == nil || got[n].Version != v {
					t.Errorf("match[%q] = %v; want version %d", n, got[n], v)
				}
			}
		})
	}
	if b, s := SplitSelector(arn + ":label"); b != arn || s != "label" {
		t.Errorf("SplitSelector(ARN:label) = %q, %q", b, s)
	}
}
