package changes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The event types Parse understands: the detail-type of EventBridge's
// envelope.
const (
	// ParameterStoreChange is sent by Parameter Store to EventBridge for a
	// Create, Update, Delete or LabelParameterVersion of a parameter.
	ParameterStoreChange = "Parameter Store Change"
	// SecretLabelUpdated is sent by Secrets Manager to EventBridge when a
	// staging label other than AWSPENDING and AWSPREVIOUS moves to a new
	// version (AWSCURRENT after a PutSecretValue or a rotation).
	SecretLabelUpdated = "Secret Label Updated"
	// CloudTrailCall is the envelope EventBridge makes of a CloudTrail
	// record of a write API call (a trail must log management events).
	CloudTrailCall = "AWS API Call via CloudTrail"
)

// EventPattern is an EventBridge event pattern that selects every event
// Parse turns into a [Change] (and a few CloudTrail records it ignores).
// Give it to the rule whose target is the queue; see docs/rotation.md.
const EventPattern = `{"source":["aws.ssm","aws.secretsmanager"],` +
	`"detail-type":["Parameter Store Change","Secret Label Updated","AWS API Call via CloudTrail"]}`

// Bounds of what Parse accepts.
const (
	// MaxBody is the largest message body Parse reads: SQS's own limit of
	// 1 MiB. An event is a few KiB.
	MaxBody = 1 << 20
	// MaxNames is the most names one Change holds: DeleteParameters takes
	// ten, plus the ARN forms of an event's resources.
	MaxNames = 32
	// maxNameLen is AWS's longest parameter name or secret id, ARN
	// included.
	maxNameLen = 2048
)

// Kind says which store a Change is about.
type Kind uint8

const (
	KindParameter Kind = iota + 1 // SSM Parameter Store
	KindSecret                    // Secrets Manager
)

func (k Kind) String() string {
	switch k {
	case KindParameter:
		return "parameter"
	case KindSecret:
		return "secret"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Change is one upstream change an event announces: the names it touched
// (the name and, when the event has it, the ARN; several names for
// DeleteParameters), and where it came from. It holds no value.
type Change struct {
	Kind   Kind
	Names  []string // every form of the changed names the event gives, deduplicated; never empty
	Event  string   // the event type: ParameterStoreChange, SecretLabelUpdated or CloudTrailCall
	Action string   // what happened: the operation ("Update"), the label moved ("AWSCURRENT") or the API call ("PutSecretValue")
	ID     string   // the event's id, for logs
}

// Errors of Parse. Both mean the message is deleted without a retry: a
// message that cannot be understood now will not be understood later.
var (
	// ErrMalformed: the message is not an EventBridge event Parse can read
	// (not JSON, no detail-type, a known event without a name, a name too
	// long, too large a body).
	ErrMalformed = errors.New("malformed change event")
	// ErrIgnored: a well-formed event that announces no change of a value
	// (another detail-type, a CloudTrail record of another call or of a
	// call that failed).
	ErrIgnored = errors.New("not a change of a value")
)

// The CloudTrail calls that change what a read returns, by event source.
var (
	secretCalls = []string{"PutSecretValue", "UpdateSecret", "RotateSecret", "UpdateSecretVersionStage",
		"DeleteSecret", "RestoreSecret"}
	parameterCalls = []string{"PutParameter", "DeleteParameter", "DeleteParameters", "LabelParameterVersion",
		"UnlabelParameterVersion"}
)

// envelope is EventBridge's event, and the SNS notification that may wrap
// it when the rule's target is a topic the queue subscribes to.
type envelope struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`

	Type    string `json:"Type"`    // SNS: "Notification"
	Message string `json:"Message"` // SNS: the event
}

type parameterDetail struct {
	Operation string `json:"operation"`
	Name      string `json:"name"`
}

type labelDetail struct {
	Name         string `json:"name"`
	LabelUpdated string `json:"labelUpdated"`
}

type cloudTrailDetail struct {
	EventSource       string `json:"eventSource"`
	EventName         string `json:"eventName"`
	ErrorCode         string `json:"errorCode"`
	RequestParameters struct {
		SecretID string   `json:"secretId"`
		Name     string   `json:"name"`
		Names    []string `json:"names"`
	} `json:"requestParameters"`
	ResponseElements struct {
		ARN  string `json:"arn"`
		ARN2 string `json:"aRN"` // some Secrets Manager records spell it so
		Name string `json:"name"`
	} `json:"responseElements"`
}

// Parse reads one SQS message body: an EventBridge event (or an SNS
// notification holding one) of type [ParameterStoreChange],
// [SecretLabelUpdated] or [CloudTrailCall] for the calls that change a
// parameter or a secret (PutSecretValue, UpdateSecret, RotateSecret,
// UpdateSecretVersionStage, DeleteSecret, RestoreSecret, PutParameter,
// DeleteParameter(s), (Un)LabelParameterVersion; the ARN in either "arn" or
// "aRN"). Other events give an error wrapping [ErrIgnored]; a body it
// cannot read one wrapping [ErrMalformed], which says why but never quotes
// the body. Parse is safe for concurrent use.
func Parse(body []byte) (Change, error) {
	if len(body) > MaxBody {
		return Change{}, fmt.Errorf("%w: body of %d bytes, at most %d", ErrMalformed, len(body), MaxBody)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Change{}, fmt.Errorf("%w: not JSON: %s", ErrMalformed, jsonProblem(err))
	}
	if env.Type == "Notification" && env.DetailType == "" {
		env = envelope{}
		if err := json.Unmarshal([]byte(jsonString(body)), &env); err != nil {
			return Change{}, fmt.Errorf("%w: SNS notification whose Message is not JSON: %s", ErrMalformed, jsonProblem(err))
		}
	}
	if env.DetailType == "" || env.Source == "" {
		return Change{}, fmt.Errorf("%w: no detail-type or source: not an EventBridge event", ErrMalformed)
	}
	ch := Change{Event: env.DetailType, ID: env.ID}
	var err error
	switch {
	case env.DetailType == ParameterStoreChange && env.Source == "aws.ssm":
		err = ch.parameterChange(env)
	case env.DetailType == SecretLabelUpdated && env.Source == "aws.secretsmanager":
		err = ch.labelUpdated(env)
	case env.DetailType == CloudTrailCall && (env.Source == "aws.secretsmanager" || env.Source == "aws.ssm"):
		err = ch.cloudTrail(env)
	default:
		return Change{}, fmt.Errorf("%w: event %q from %q", ErrIgnored, env.DetailType, env.Source)
	}
	if err != nil {
		return Change{}, err
	}
	if len(ch.Names) == 0 {
		return Change{}, fmt.Errorf("%w: %s event %s names no %s", ErrMalformed, env.DetailType, ch.Action, ch.Kind)
	}
	if len(ch.Names) > MaxNames {
		return Change{}, fmt.Errorf("%w: %s event names %d %ss, at most %d", ErrMalformed, env.DetailType, len(ch.Names), ch.Kind, MaxNames)
	}
	return ch, nil
}

// jsonString returns the SNS Message field of body, which holds the event
// as a JSON string.
func jsonString(body []byte) string {
	var n struct{ Message string }
	_ = json.Unmarshal(body, &n)
	return n.Message
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q is a JSON %s, not a %s", te.Field, te.Value, te.Type)
	}
	return "unexpected end of input"
}

func (ch *Change) parameterChange(env envelope) error {
	ch.Kind = KindParameter
	var d parameterDetail
	if err := decodeDetail(env, &d); err != nil {
		return err
	}
	ch.Action = d.Operation
	return ch.add(append([]string{d.Name}, env.Resources...)...)
}

func (ch *Change) labelUpdated(env envelope) error {
	ch.Kind = KindSecret
	var d labelDetail
	if err := decodeDetail(env, &d); err != nil {
		return err
	}
	ch.Action = d.LabelUpdated
	return ch.add(append([]string{d.Name}, env.Resources...)...)
}

func (ch *Change) cloudTrail(env envelope) error {
	var d cloudTrailDetail
	if err := decodeDetail(env, &d); err != nil {
		return err
	}
	ch.Action = d.EventName
	calls := parameterCalls
	ch.Kind = KindParameter
	if env.Source == "aws.secretsmanager" {
		calls, ch.Kind = secretCalls, KindSecret
	}
	switch {
	case !slices.Contains(calls, d.EventName):
		return fmt.Errorf("%w: CloudTrail record of %s %q", ErrIgnored, env.Source, d.EventName)
	case d.ErrorCode != "":
		return fmt.Errorf("%w: CloudTrail record of %s that failed (%s)", ErrIgnored, d.EventName, d.ErrorCode)
	}
	rp, re := d.RequestParameters, d.ResponseElements
	if ch.Kind == KindSecret {
		return ch.add(rp.SecretID, re.ARN, re.ARN2, re.Name)
	}
	return ch.add(append([]string{rp.Name}, rp.Names...)...)
}

func decodeDetail(env envelope, v any) error {
	if len(env.Detail) == 0 || bytes.Equal(env.Detail, []byte("null")) {
		return fmt.Errorf("%w: %s event without a detail", ErrMalformed, env.DetailType)
	}
	if err := json.Unmarshal(env.Detail, v); err != nil {
		return fmt.Errorf("%w: %s event whose detail does not decode: %s", ErrMalformed, env.DetailType, jsonProblem(err))
	}
	return nil
}

// add appends the non-empty names not yet in ch.Names, after checking them.
func (ch *Change) add(names ...string) error {
	for _, n := range names {
		switch {
		case n == "" || slices.Contains(ch.Names, n):
			continue
		case len(n) > maxNameLen:
			return fmt.Errorf("%w: %s event with a name of %d bytes, at most %d", ErrMalformed, ch.Event, len(n), maxNameLen)
		case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return fmt.Errorf("%w: %s event with a control character in a name", ErrMalformed, ch.Event)
		}
		ch.Names = append(ch.Names, n)
		if len(ch.Names) > MaxNames {
			break
		}
	}
	return nil
}
