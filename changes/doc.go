// Package changes drops a cached parameter or secret within seconds of its
// change upstream, instead of when its TTL ends, for a long-running process
// (a daemon, an ECS task, an EC2 service; a Lambda environment cannot
// receive the events).
//
// Parameter Store sends a "Parameter Store Change" event to EventBridge for
// every Create, Update, Delete and LabelParameterVersion, and Secrets
// Manager a "Secret Label Updated" event when AWSCURRENT (or a custom
// label) moves to a new version; with a CloudTrail trail, EventBridge also
// carries "AWS API Call via CloudTrail" records of PutSecretValue,
// UpdateSecret, RotateSecret, UpdateSecretVersionStage and the like. An
// EventBridge rule with the pattern [EventPattern] sends them to an SQS
// queue; [Start] long-polls that queue and, for each event, calls
// InvalidateParameter or InvalidateSecret of a *cache.Cache for every form
// of the name the event gives. The next read of the name goes upstream;
// with [WithHotParameters] or [WithHotSecrets] the poller makes that read
// itself, so that the process's next read is a hit.
//
// # Guarantees and bounds
//
//   - Two goroutines per [Poller] (the poll loop, and one that watches the
//     cache's Done), one ReceiveMessage call in flight (20 s long polls, up
//     to 10 messages), one DeleteMessageBatch per batch.
//   - Every message received is deleted after it was handled, whether it
//     announced a change, was ignored, or could not be read: a poison
//     message costs one receive and one log line, never a retry loop.
//     A deletion that fails leaves the message to come back after the
//     queue's visibility timeout: invalidating twice is harmless.
//   - A queue that cannot be read (no permission, no network, deleted) is
//     retried with a jittered exponential backoff (1 s doubling to 1 min by
//     default) and each failure is logged. Events are best effort: the
//     cache's TTL still bounds how old a value can be.
//   - The poller stops on Close, when the context given to Start is done,
//     or when the cache closes (Start watches *cache.Cache's Done).
//   - Parse reads at most [MaxBody] bytes and [MaxNames] names per event;
//     hot reads are at most [MaxHot], each reload bounded by
//     [WithCallTimeout].
//   - No value ever passes through the poller: events carry names only,
//     and logs carry names, codes and counts.
//
// # IAM
//
// The poller needs sqs:ReceiveMessage and sqs:DeleteMessage on the queue
// (and kms:Decrypt on its key when the queue is encrypted with a customer
// managed key); hot reloads need what the cache's reads need
// (ssm:GetParameter, secretsmanager:GetSecretValue). The rule's target
// needs a queue policy that lets events.amazonaws.com call sqs:SendMessage.
// docs/rotation.md has a CloudFormation template of the rule, the queue and
// its policy, and a comparison with TTLs, refresh-ahead, rotation-aware
// expiry and cache.WithSecret.
package changes
