package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parsec-go/parsec/changes"
	"github.com/parsec-go/parsec/internal/motoserver"
)

func TestRotationSettings(t *testing.T) {
	const q = "https://sqs.us-east-1.amazonaws.com/123456789012/changes"
	tests := []struct {
		name      string
		env       []string
		mode      string
		want      rotationSettings
		errNaming string // "": no error
	}{
		{"unset", nil, modeDaemon, rotationSettings{}, ""},
		{"rotation aware", []string{envRotationAware, "TRUE"}, modeExtension, rotationSettings{aware: true}, ""},
		{"rotation off", []string{envRotationAware, "false"}, modeDaemon, rotationSettings{}, ""},
		{"bad bool", []string{envRotationAware, "yes please"}, modeDaemon, rotationSettings{}, envRotationAware},
		{"aware in the emulator", []string{envRotationAware, "true"}, modeEmulate, rotationSettings{}, envRotationAware},
		{"queue", []string{envChangesQueue, q}, modeDaemon, rotationSettings{queue: q}, ""},
		{"queue in Lambda", []string{envChangesQueue, q}, modeExtension, rotationSettings{}, "long-running daemon"},
		{"queue in the emulator", []string{envChangesQueue, q}, modeEmulate, rotationSettings{}, envChangesQueue},
		{"queue name, not URL", []string{envChangesQueue, "changes"}, modeDaemon, rotationSettings{}, "queue's URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRotationSettings(envMap(tt.env...), tt.mode)
			if tt.errNaming != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.errNaming) {
					t.Fatalf("parseRotationSettings = %v; want a usage error naming %q", err, tt.errNaming)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseRotationSettings = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// A daemon with PARSECD_CHANGES_QUEUE serves a changed secret as soon as
// its event arrives, though its TTL is an hour (moto: EventBridge rule →
// SQS → parsecd).
func TestDaemonChangeEvents(t *testing.T) {
	moto := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": moto.URL, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
		"AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": ""} {
		t.Setenv(k, v)
	}
	cfg := moto.Config()
	sm, sq, eb := moto.SecretsManager(), sqs.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	qo, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("parsecd-changes")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(changes.EventPattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{{Id: aws.String("q"),
		Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}}}); err != nil {
		t.Fatal(err)
	}

	r := startRun(t, []string{"--mode", "daemon", "--port", "0", "--ttl", "1h", "--token-file", writeFile(t, "token", "tok")},
		envMap(envChangesQueue, aws.ToString(qo.QueueUrl), envRotationAware, "true"), nil)
	secret := func() string {
		status, body := get(t, r.url+"/secretsmanager/get?secretId=db", "tok")
		var out struct{ SecretString string }
		if status != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("GET secret = %d %s", status, body)
		}
		return out.SecretString
	}
	if v := secret(); v != "one" {
		t.Fatalf("first read = %q; want one", v)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String("two")}); err != nil {
		t.Fatal(err)
	}
	if v := secret(); v != "one" {
		t.Fatalf("read before the event = %q; want the cached one", v)
	}
	d, _ := json.Marshal(map[string]string{"name": "db", "labelUpdated": "AWSCURRENT", "versionId": "v"})
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("aws.secretsmanager"),
		DetailType: aws.String(changes.SecretLabelUpdated), Detail: aws.String(string(d))}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the changed secret", func() bool { return secret() == "two" })
	if !strings.Contains(r.stderr.String(), "dropping values on change events") {
		t.Errorf("stderr does not say the poller started:\n%s", r.stderr)
	}
}
