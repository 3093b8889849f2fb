package resolve

import (
	"errors"
	"strconv"
	"strings"

	"github.com/parsec-go/parsec/internal/awsname"
)

// Kind is what a [Reference] reads.
type Kind uint8

const (
	// KindParameter is an SSM Parameter Store parameter.
	KindParameter Kind = iota + 1
	// KindSecret is a Secrets Manager secret.
	KindSecret
)

func (k Kind) String() string {
	switch k {
	case KindParameter:
		return "parameter"
	case KindSecret:
		return "secret"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Form is how a [Reference] was written.
type Form uint8

const (
	// FormARN: a full parameter ARN, or a secret ARN in the ECS valueFrom
	// form.
	FormARN Form = iota + 1
	// FormShort: ssm:NAME[:SELECTOR] or secretsmanager:ID[#KEY].
	FormShort
	// FormCloudFormation: {{resolve:ssm:…}}, {{resolve:ssm-secure:…}} or
	// {{resolve:secretsmanager:…}}.
	FormCloudFormation
)

func (f Form) String() string {
	switch f {
	case FormARN:
		return "ARN"
	case FormShort:
		return "short"
	case FormCloudFormation:
		return "CloudFormation"
	}
	return "Form(" + strconv.Itoa(int(f)) + ")"
}

// Reference is one parsed reference: what to read and which part of it.
// Its zero value is no reference.
type Reference struct {
	Kind Kind
	Form Form
	// Text is the reference as written (for CloudFormation, the
	// {{resolve:…}} part only). It names; it never holds a value.
	Text string
	// Name is the parameter's name or ARN, without its selector, or the
	// secret's id: a name or ARN (for the ECS form, the ARN's first seven
	// fields).
	Name string
	// Version and Label are a parameter's selector; 0 and "" mean the
	// latest version.
	Version int64
	Label   string
	// VersionStage and VersionID select a secret's version; "" means
	// AWSCURRENT.
	VersionStage, VersionID string
	// JSONKey, when not empty, selects a top-level key of a secret whose
	// value is a JSON object.
	JSONKey string
}

// String returns the reference as written.
func (r Reference) String() string { return r.Text }

// ErrSyntax is matched by every [*SyntaxError].
var ErrSyntax = errors.New("malformed reference")

// SyntaxError reports a value that looks like a reference but does not
// parse: the variable (or field) it was found in, the reference text and
// the rule it breaks. It holds no value: for a reference embedded in a
// longer string, Ref is the {{resolve:…}} part only.
type SyntaxError struct {
	Var  string // the environment variable or struct field
	Ref  string // the reference as written
	Rule string // the rule broken, with the grammar's form
}

func (e *SyntaxError) Error() string {
	return "resolve: " + e.Var + ": " + strconv.Quote(e.Ref) + ": " + e.Rule
}

// Is reports whether target is [ErrSyntax].
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// The rules, named in errors.
const (
	ruleSSM       = "the form is ssm:NAME[:VERSION|:LABEL], NAME a parameter name (a-zA-Z0-9_.-/) or ARN"
	ruleSM        = "the form is secretsmanager:ID[#JSON-KEY], ID a secret name (a-zA-Z0-9/_+=.@-) or ARN"
	ruleParamARN  = "a parameter ARN has the form arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:VERSION|:LABEL]"
	ruleSecretARN = "a secret ARN has the form arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]] (ECS valueFrom)"
	ruleCFN       = "the forms are {{resolve:ssm:NAME[:VERSION]}}, {{resolve:ssm-secure:NAME[:VERSION]}} and {{resolve:secretsmanager:ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}"
	cfnOpen       = "{{resolve:"
	cfnClose      = "}}"
)

// Template is a value with references: literal text and the references
// between it. A value that is one reference has empty literals around it.
type Template struct {
	lits []string    // len(refs)+1 literals
	refs []Reference // the references, in order
}

// References returns the template's references in order. The slice is the
// caller's own.
func (t *Template) References() []Reference { return append([]Reference(nil), t.refs...) }

// expand joins the literals with vals, one per reference.
func (t *Template) expand(vals []string) string {
	if len(t.refs) == 1 && t.lits[0] == "" && t.lits[1] == "" {
		return vals[0]
	}
	var b strings.Builder
	for i := range t.refs {
		b.WriteString(t.lits[i])
		b.WriteString(vals[i])
	}
	b.WriteString(t.lits[len(t.refs)])
	return b.String()
}

// Parse parses value, found in the variable or field name, as the grammar
// of the package documentation says: nil and no error when value is not a
// reference (it is then left alone); a *[SyntaxError] naming name, the
// reference and the rule when it looks like one and does not parse. A
// value is a reference when it starts with "ssm:", "secretsmanager:", or
// "arn:" followed by a parameter or secret ARN, or when it contains
// "{{resolve:" anywhere (CloudFormation's form, embedded in a longer string
// or not).
func Parse(name, value string) (*Template, error) { return parse(name, value, true) }

// parse is Parse; with arns false, a value that is a bare ARN is not a
// reference (environment values: see WithARNs).
func parse(name, value string, arns bool) (*Template, error) {
	if strings.Contains(value, cfnOpen) {
		return parseCFNTemplate(name, value)
	}
	var (
		r   Reference
		err error
	)
	switch {
	case strings.HasPrefix(value, "ssm:"):
		r, err = parseSSM(value)
	case strings.HasPrefix(value, "secretsmanager:"):
		r, err = parseSM(value)
	case strings.HasPrefix(value, "arn:"):
		svc := field(value, 2)
		if !arns || (svc != "ssm" || !strings.HasPrefix(field(value, 5), "parameter/")) && svc != "secretsmanager" {
			return nil, nil // another service's ARN, or an SSM document, …: not a reference
		}
		r, err = parseARN(value)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, &SyntaxError{Var: name, Ref: value, Rule: err.Error()}
	}
	r.Text = value
	return &Template{lits: []string{"", ""}, refs: []Reference{r}}, nil
}

// rule is an error whose text is a rule of the grammar.
type rule string

func (r rule) Error() string { return string(r) }

func ruleErr(form, detail string) error { return rule(detail + " (" + form + ")") }

func parseSSM(v string) (Reference, error) {
	rest := strings.TrimPrefix(v, "ssm:")
	if strings.HasPrefix(rest, "//") {
		return Reference{}, ruleErr(ruleSSM, "ssm:// is not a form here: write ssm:/path for the parameter /path")
	}
	r, err := parameterRef(rest, ruleSSM)
	r.Form = FormShort
	return r, err
}

// parameterRef parses NAME[:SELECTOR] or a parameter ARN with a selector.
func parameterRef(s, form string) (Reference, error) {
	if strings.HasPrefix(s, "arn:") {
		return parseParamARN(s)
	}
	name, sel, _ := strings.Cut(s, ":")
	if err := checkParamName(name); err != nil {
		return Reference{}, ruleErr(form, err.Error())
	}
	r := Reference{Kind: KindParameter, Name: name}
	if err := r.selector(sel, strings.Contains(s, ":")); err != nil {
		return Reference{}, ruleErr(form, err.Error())
	}
	return r, nil
}

// selector sets the version or label from sel (given: there was a colon).
func (r *Reference) selector(sel string, given bool) error {
	switch {
	case !given:
		return nil
	case sel == "":
		return rule("the selector after the colon is empty")
	case sel[0] >= '0' && sel[0] <= '9':
		n, err := strconv.ParseInt(sel, 10, 64)
		if err != nil || n < 1 {
			return rule("the version " + strconv.Quote(sel) + " must be a positive integer")
		}
		r.Version = n
	default:
		if len(sel) > 100 || strings.IndexFunc(sel, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')
		}) >= 0 {
			return rule("the label " + strconv.Quote(sel) + " must be 1 to 100 of a-zA-Z0-9.-_")
		}
		r.Label = sel
	}
	return nil
}

func checkParamName(n string) error {
	if n == "" {
		return rule("the parameter name is empty")
	}
	if len(n) > 2048 {
		return rule("the parameter name is longer than 2048 characters")
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return rule("the parameter name has " + strconv.QuoteRune(rune(c)) + " at offset " + strconv.Itoa(i) + "; allowed: a-zA-Z0-9_.-/")
		}
	}
	return nil
}

func checkSecretName(n string) error {
	if n == "" {
		return rule("the secret id is empty")
	}
	if len(n) > 512 {
		return rule("the secret name is longer than 512 characters")
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/_+=.@-", c) >= 0) {
			return rule("the secret name has " + strconv.QuoteRune(rune(c)) + " at offset " + strconv.Itoa(i) + "; allowed: a-zA-Z0-9/_+=.@-")
		}
	}
	return nil
}

func parseSM(v string) (Reference, error) {
	rest := strings.TrimPrefix(v, "secretsmanager:")
	id, key, hasKey := strings.Cut(rest, "#")
	if hasKey && key == "" {
		return Reference{}, ruleErr(ruleSM, "the JSON key after # is empty")
	}
	var r Reference
	if strings.HasPrefix(id, "arn:") {
		var err error
		if r, err = parseSecretARN(id); err != nil {
			return r, err
		}
		if hasKey && r.JSONKey != "" {
			return Reference{}, ruleErr(ruleSM, "the JSON key is given twice, in the ARN and after #")
		}
	} else {
		if err := checkSecretName(id); err != nil {
			return Reference{}, ruleErr(ruleSM, err.Error())
		}
		r = Reference{Kind: KindSecret, Name: id}
	}
	if hasKey {
		r.JSONKey = key
	}
	r.Form = FormShort
	return r, nil
}

func parseARN(v string) (Reference, error) {
	if field(v, 2) == "secretsmanager" {
		return parseSecretARN(v)
	}
	return parseParamARN(v)
}

// parseParamARN parses a parameter ARN with an optional selector; the
// ARN's shape is awsname's rule, the one routing applies.
func parseParamARN(v string) (Reference, error) {
	base, sel, given := awsname.SplitSelector(v)
	a, ok, err := awsname.ParameterARN(base)
	switch {
	case err != nil:
		return Reference{}, rule(err.Error())
	case !ok || !strings.HasPrefix(v, "arn:"):
		return Reference{}, ruleErr(ruleParamARN, "not a parameter ARN")
	}
	if err := checkParamName(a.Name); err != nil {
		return Reference{}, ruleErr(ruleParamARN, err.Error())
	}
	r := Reference{Kind: KindParameter, Form: FormARN, Name: base}
	if err := r.selector(sel, given); err != nil {
		return Reference{}, ruleErr(ruleParamARN, err.Error())
	}
	return r, nil
}

// parseSecretARN parses a secret ARN with ECS's optional fields
// :json-key:version-stage:version-id; the ARN's shape (its first seven
// fields) is awsname's rule, the one routing applies.
func parseSecretARN(v string) (Reference, error) {
	n := strings.Count(v, ":") + 1
	if n < 7 || n > 10 {
		return Reference{}, ruleErr(ruleSecretARN, strconv.Itoa(n)+" colon-separated fields; want 7 to 10")
	}
	id := v
	for range n - 7 {
		id = id[:strings.LastIndexByte(id, ':')]
	}
	if _, _, err := awsname.SecretARN(id); err != nil {
		return Reference{}, rule(err.Error() + "; ECS valueFrom may add :JSON-KEY:VERSION-STAGE:VERSION-ID")
	}
	if err := checkSecretName(field(v, 6)); err != nil {
		return Reference{}, ruleErr(ruleSecretARN, err.Error())
	}
	return Reference{Kind: KindSecret, Form: FormARN, Name: id, JSONKey: field(v, 7), VersionStage: field(v, 8), VersionID: field(v, 9)}, nil
}

// field returns the i-th colon-separated field of s ("" past the end).
func field(s string, i int) string {
	for ; i > 0; i-- {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, ':'); j >= 0 {
		return s[:j]
	}
	return s
}
