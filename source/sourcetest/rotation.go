package sourcetest

import (
	"fmt"
	"slices"
	"time"
)

// Rotation is a secret's rotation configuration as DescribeSecret reports
// it, set with [Server.SetRotation]. The zero value is a secret that does
// not rotate: DescribeSecret then leaves every rotation field out, as AWS
// does for a secret whose rotation was never configured.
type Rotation struct {
	Enabled   bool   // RotationEnabled
	LambdaARN string // RotationLambdaARN; empty leaves it out
	// AfterDays is RotationRules.AutomaticallyAfterDays; 0 leaves it out.
	// [Server.FinishRotation] moves Next this many days on.
	AfterDays int64
	Schedule  string // RotationRules.ScheduleExpression, for example "rate(4 hours)"; empty leaves it out
	Window    string // RotationRules.Duration, for example "2h"; empty leaves it out
	// Next is NextRotationDate, kept to the millisecond. Zero leaves it
	// out. The server does not rotate anything when it passes: a test
	// moves the stages itself (PutSecretValue with the stage AWSPENDING,
	// then FinishRotation), as a rotation function would.
	Next time.Time
	// LastRotated is LastRotatedDate, kept to the millisecond; zero leaves
	// it out. FinishRotation sets it.
	LastRotated time.Time
}

// rotationOut holds the rotation fields of DescribeSecret's answer.
type rotationOut struct {
	RotationEnabled   bool           `json:",omitempty"`
	RotationLambdaARN string         `json:",omitempty"`
	RotationRules     *rotationRules `json:",omitempty"`
	NextRotationDate  epoch          `json:",omitzero"`
	LastRotatedDate   epoch          `json:",omitzero"`
}

type rotationRules struct {
	AutomaticallyAfterDays int64  `json:",omitempty"`
	ScheduleExpression     string `json:",omitempty"`
	Duration               string `json:",omitempty"`
}

func (r Rotation) out() rotationOut {
	o := rotationOut{RotationEnabled: r.Enabled, RotationLambdaARN: r.LambdaARN,
		NextRotationDate: epoch(r.Next), LastRotatedDate: epoch(r.LastRotated)}
	if r.AfterDays != 0 || r.Schedule != "" || r.Window != "" {
		o.RotationRules = &rotationRules{r.AfterDays, r.Schedule, r.Window}
	}
	return o
}

// SetRotation sets the rotation configuration of the secret nameOrARN (a
// name, full ARN or partial ARN), which DescribeSecret then reports. It
// changes no version and no stage. It fails if the secret does not exist or
// is scheduled for deletion, or if AfterDays is negative.
func (s *Server) SetRotation(nameOrARN string, r Rotation) error {
	if r.AfterDays < 0 {
		return fmt.Errorf("sourcetest: SetRotation %q: AfterDays %d is negative", nameOrARN, r.AfterDays)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(nameOrARN)
	if e != nil {
		return fmt.Errorf("sourcetest: SetRotation %q: %w", nameOrARN, e)
	}
	r.Next, r.LastRotated = msZero(r.Next), msZero(r.LastRotated)
	sec.rotation = r
	return nil
}

// FinishRotation ends a rotation of the secret nameOrARN as a rotation
// function's finishSecret step does: it moves AWSCURRENT to the version
// versionID (its former holder gets AWSPREVIOUS) and removes AWSPENDING
// from every version. Then it stamps LastRotatedDate with the server's
// clock and, when the rotation has AfterDays, moves NextRotationDate that
// many days after it. It fails if the secret or the version does not
// exist.
func (s *Server) FinishRotation(nameOrARN, versionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, e := s.liveSecretLocked(nameOrARN)
	if e != nil {
		return fmt.Errorf("sourcetest: FinishRotation %q: %w", nameOrARN, e)
	}
	v := sec.version(versionID)
	if v == nil {
		return fmt.Errorf("sourcetest: FinishRotation %q: no version %q", nameOrARN, versionID)
	}
	moveStage(sec, "AWSCURRENT", v)
	for _, o := range sec.versions {
		o.stages = slices.DeleteFunc(o.stages, func(x string) bool { return x == "AWSPENDING" })
	}
	now := s.now()
	sec.changed = now
	sec.rotation.LastRotated = now
	if d := sec.rotation.AfterDays; d > 0 {
		sec.rotation.Next = now.Add(time.Duration(d) * 24 * time.Hour)
	}
	return nil
}

// msZero is msUTC that keeps the zero time zero.
func msZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return msUTC(t)
}
