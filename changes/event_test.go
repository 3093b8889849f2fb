package changes_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/changes"
)

const (
	paramARN  = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"
	secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1B2c3"
)

// event returns an EventBridge envelope as EventBridge delivers it to SQS.
func event(source, detailType string, resources []string, detail any) string {
	d, err := json.Marshal(detail)
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": detailType, "source": source,
		"account": "123456789012", "time": "2026-12-07T16:43:48Z", "region": "us-east-1",
		"resources": resources, "detail": json.RawMessage(d),
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func parameterChange(op, name string) string {
	return event("aws.ssm", changes.ParameterStoreChange, []string{"arn:aws:ssm:us-east-1:123456789012:parameter" + name},
		map[string]string{"operation": op, "name": name, "type": "String", "description": ""})
}

func labelUpdated(name, arn string) string {
	return event("aws.secretsmanager", changes.SecretLabelUpdated, []string{arn},
		map[string]string{"name": name, "labelUpdated": "AWSCURRENT", "versionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"})
}

func cloudTrail(source, eventName string, req, resp map[string]any) string {
	d := map[string]any{"eventVersion": "1.08", "eventSource": strings.TrimPrefix(source, "aws.") + ".amazonaws.com",
		"eventName": eventName, "awsRegion": "us-east-1", "requestParameters": req, "responseElements": resp}
	return event(source, changes.CloudTrailCall, []string{}, d)
}

func TestParse(t *testing.T) {
	sns, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m1", "Message": labelUpdated("prod/db", secretARN)})
	tests := []struct {
		name   string
		body   string
		kind   changes.Kind
		names  []string
		action string
	}{
		{"parameter update", parameterChange("Update", "/app/db"), changes.KindParameter, []string{"/app/db", paramARN}, "Update"},
		{"parameter create", parameterChange("Create", "/app/db"), changes.KindParameter, []string{"/app/db", paramARN}, "Create"},
		{"parameter delete", parameterChange("Delete", "/app/db"), changes.KindParameter, []string{"/app/db", paramARN}, "Delete"},
		{"parameter label", parameterChange("LabelParameterVersion", "/app/db"), changes.KindParameter, []string{"/app/db", paramARN}, "LabelParameterVersion"},
		{"secret label updated", labelUpdated("prod/db", secretARN), changes.KindSecret, []string{"prod/db", secretARN}, "AWSCURRENT"},
		{"through SNS", string(sns), changes.KindSecret, []string{"prod/db", secretARN}, "AWSCURRENT"},
		{"CloudTrail PutSecretValue with aRN", cloudTrail("aws.secretsmanager", "PutSecretValue",
			map[string]any{"secretId": "prod/db", "clientRequestToken": "t"}, map[string]any{"aRN": secretARN, "versionId": "v"}),
			changes.KindSecret, []string{"prod/db", secretARN}, "PutSecretValue"},
		{"CloudTrail UpdateSecret with arn", cloudTrail("aws.secretsmanager", "UpdateSecret",
			map[string]any{"secretId": secretARN}, map[string]any{"arn": secretARN, "name": "prod/db"}),
			changes.KindSecret, []string{secretARN, "prod/db"}, "UpdateSecret"},
		{"CloudTrail RotateSecret", cloudTrail("aws.secretsmanager", "RotateSecret",
			map[string]any{"secretId": "prod/db"}, nil), changes.KindSecret, []string{"prod/db"}, "RotateSecret"},
		{"CloudTrail UpdateSecretVersionStage", cloudTrail("aws.secretsmanager", "UpdateSecretVersionStage",
			map[string]any{"secretId": "prod/db", "versionStage": "AWSCURRENT"}, map[string]any{"arn": secretARN}),
			changes.KindSecret, []string{"prod/db", secretARN}, "UpdateSecretVersionStage"},
		{"CloudTrail DeleteParameters", cloudTrail("aws.ssm", "DeleteParameters",
			map[string]any{"names": []string{"/a", "/b"}}, nil), changes.KindParameter, []string{"/a", "/b"}, "DeleteParameters"},
		{"CloudTrail PutParameter", cloudTrail("aws.ssm", "PutParameter",
			map[string]any{"name": "/app/db", "overwrite": true}, map[string]any{"version": 2}), changes.KindParameter, []string{"/app/db"}, "PutParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := changes.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse = %v; want a change", err)
			}
			if ch.Kind != tt.kind || !slices.Equal(ch.Names, tt.names) || ch.Action != tt.action {
				t.Errorf("Parse = %v %q %q; want %v %q %q", ch.Kind, ch.Names, ch.Action, tt.kind, tt.names, tt.action)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	long := strings.Repeat("n", 2049)
	many := make([]string, changes.MaxNames+1)
	for i := range many {
		many[i] = "/p" + strings.Repeat("x", i)
	}
	tests := []struct {
		name string
		body string
		want error
	}{
		{"not JSON", "hello", changes.ErrMalformed},
		{"JSON but no envelope", `{"a":1}`, changes.ErrMalformed},
		{"empty", "", changes.ErrMalformed},
		{"array", "[]", changes.ErrMalformed},
		{"detail-type not a string", `{"detail-type":3,"source":"aws.ssm"}`, changes.ErrMalformed},
		{"no detail", `{"detail-type":"Parameter Store Change","source":"aws.ssm"}`, changes.ErrMalformed},
		{"detail null", `{"detail-type":"Parameter Store Change","source":"aws.ssm","detail":null}`, changes.ErrMalformed},
		{"detail of the wrong shape", `{"detail-type":"Parameter Store Change","source":"aws.ssm","detail":{"name":7}}`, changes.ErrMalformed},
		{"no name", event("aws.ssm", changes.ParameterStoreChange, nil, map[string]string{"operation": "Update"}), changes.ErrMalformed},
		{"name too long", parameterChange("Update", "/"+long), changes.ErrMalformed},
		{"control character", parameterChange("Update", "/a\nb"), changes.ErrMalformed},
		{"too many names", cloudTrail("aws.ssm", "DeleteParameters", map[string]any{"names": many}, nil), changes.ErrMalformed},
		{"too large", strings.Repeat(" ", changes.MaxBody+1), changes.ErrMalformed},
		{"SNS with a bad Message", `{"Type":"Notification","Message":"nope"}`, changes.ErrMalformed},
		{"another event", event("aws.ec2", "EC2 Instance State-change Notification", nil, map[string]string{"state": "running"}), changes.ErrIgnored},
		{"same type, another source", event("my.app", changes.ParameterStoreChange, nil, map[string]string{"name": "/a"}), changes.ErrIgnored},
		{"a read in CloudTrail", cloudTrail("aws.secretsmanager", "GetSecretValue", map[string]any{"secretId": "prod/db"}, nil), changes.ErrIgnored},
		{"a call that failed", event("aws.secretsmanager", changes.CloudTrailCall, nil, map[string]any{"eventName": "PutSecretValue",
			"errorCode": "AccessDenied", "requestParameters": map[string]string{"secretId": "prod/db"}}), changes.ErrIgnored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := changes.Parse([]byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %+v, %v; want %v", ch, err, tt.want)
			}
			if len(tt.body) > 0 && len(tt.body) < 200 && strings.Contains(err.Error(), tt.body) {
				t.Errorf("error %q quotes the body", err)
			}
		})
	}
}

// FuzzParse: Parse never panics, every error is one of its two kinds, and
// a change always names something of its kind.
func FuzzParse(f *testing.F) {
	for _, s := range []string{parameterChange("Update", "/app/db"), labelUpdated("prod/db", secretARN),
		cloudTrail("aws.secretsmanager", "PutSecretValue", map[string]any{"secretId": "x"}, map[string]any{"aRN": secretARN}),
		`{"Type":"Notification","Message":"{}"}`, "", "{", `{"detail-type":"x","source":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ch, err := changes.Parse(body)
		if err != nil {
			if !errors.Is(err, changes.ErrMalformed) && !errors.Is(err, changes.ErrIgnored) {
				t.Fatalf("Parse error %v is neither ErrMalformed nor ErrIgnored", err)
			}
			return
		}
		if len(ch.Names) == 0 || len(ch.Names) > changes.MaxNames || (ch.Kind != changes.KindParameter && ch.Kind != changes.KindSecret) {
			t.Fatalf("Parse = %+v; want 1 to %d names of a known kind", ch, changes.MaxNames)
		}
	})
}
