package resolve

import (
	"strconv"
	"strings"
)

// parseCFNTemplate parses every {{resolve:…}} in value.
func parseCFNTemplate(name, value string) (*Template, error) {
	t := &Template{}
	rest := value
	for {
		i := strings.Index(rest, cfnOpen)
		if i < 0 {
			t.lits = append(t.lits, rest)
			return t, nil
		}
		t.lits = append(t.lits, rest[:i])
		rest = rest[i:]
		j := strings.Index(rest, cfnClose)
		if j < 0 { // the text after it may be anything: name the offset only
			at := strconv.Itoa(len(value) - len(rest))
			return nil, &SyntaxError{Var: name, Ref: cfnOpen, Rule: ruleErr(ruleCFN, "no closing }} for the {{resolve: at offset "+at).Error()}
		}
		text := rest[:j+len(cfnClose)]
		r, err := parseCFN(text[len(cfnOpen) : len(text)-len(cfnClose)])
		if err != nil {
			return nil, &SyntaxError{Var: name, Ref: text, Rule: err.Error()}
		}
		r.Text, r.Form = text, FormCloudFormation
		t.refs = append(t.refs, r)
		rest = rest[j+len(cfnClose):]
	}
}

// parseCFN parses the inside of {{resolve:…}}.
func parseCFN(s string) (Reference, error) {
	svc, rest, _ := strings.Cut(s, ":")
	switch svc {
	case "ssm", "ssm-secure":
		if strings.HasPrefix(rest, "arn:") {
			return parseParamARN(rest)
		}
		return parameterRef(rest, ruleCFN)
	case "secretsmanager":
	default:
		return Reference{}, ruleErr(ruleCFN, "the service "+strconv.Quote(svc)+" is not one of ssm, ssm-secure, secretsmanager")
	}
	var id string
	if strings.HasPrefix(rest, "arn:") {
		id, rest = rest7(rest)
		if _, err := parseSecretARN(id); err != nil {
			return Reference{}, err
		}
		rest = strings.TrimPrefix(rest, ":")
	} else {
		id, rest, _ = strings.Cut(rest, ":")
		if err := checkSecretName(id); err != nil {
			return Reference{}, ruleErr(ruleCFN, err.Error())
		}
	}
	fs := []string{}
	if rest != "" {
		fs = strings.Split(rest, ":")
	}
	if len(fs) > 4 {
		return Reference{}, ruleErr(ruleCFN, "too many fields after the secret id")
	}
	fs = append(fs, "", "", "", "")
	if fs[0] != "" && fs[0] != "SecretString" {
		return Reference{}, ruleErr(ruleCFN, "the field after the secret id must be SecretString, got "+strconv.Quote(fs[0]))
	}
	return Reference{Kind: KindSecret, Name: id, JSONKey: fs[1], VersionStage: fs[2], VersionID: fs[3]}, nil
}

// rest7 splits s after its seventh colon-separated field.
func rest7(s string) (id, rest string) {
	k := 0
	for range 7 {
		j := strings.IndexByte(s[k:], ':')
		if j < 0 {
			return s, ""
		}
		k += j + 1
	}
	return s[:k-1], s[k-1:]
}
