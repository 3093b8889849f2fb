package awsname

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNames checks, for any input, that the parsers never panic, that
// their answers fit together (a selector split joins back; an accepted ARN
// has fields of the stated shapes; an error states its rule), that the
// canonical forms are stable (the form of a form is itself) and that
// CheckText agrees with IsControl and utf8.
func FuzzNames(f *testing.F) {
	for _, s := range []string{
		"/app/db", "/app/db:3", "db:prod", testParamARN + ":3", testSecretARN, testPartial,
		ReferencePrefix + "db:AWSPREVIOUS", ReferencePrefix + testSecretARN + ":v", "arn::::::", "arn:aws:ssm:x:y:z",
		"a\x00b", "\u0085", "\xff", "db-AbCdEf-123456",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		base, sel, ok := SplitSelector(s)
		if ok && base+":"+sel != s || !ok && (base != s || sel != "") {
			t.Fatalf("SplitSelector(%q) = %q, %q, %v; does not join back", s, base, sel, ok)
		}
		for _, parse := range []func(string) (ARN, bool, error){ParameterARN, SecretARN} {
			a, ok, err := parse(s)
			var ae *ARNError
			switch {
			case err != nil:
				if ok || !errors.As(err, &ae) || !strings.Contains(err.Error(), "has the form") {
					t.Fatalf("parse(%q) = %v, %v; want ok false and an *ARNError stating the rule", s, ok, err)
				}
			case ok:
				if !ValidRegion(a.Region) || !ValidAccount(a.Account) || a.Partition == "" || a.Name == "" {
					t.Fatalf("parse(%q) = %+v; accepted a bad field", s, a)
				}
			}
		}
		form, secret := CanonicalParameter(s)
		if secret {
			if again := CanonicalSecret(form); again != form {
				t.Fatalf("CanonicalParameter(%q) = %q (secret); CanonicalSecret of that = %q", s, form, again)
			}
		} else if again, sec := CanonicalParameter(form); again != form || sec {
			t.Fatalf("CanonicalParameter(%q) = %q; CanonicalParameter of that = %q, %v", s, form, again, sec)
		}
		if c := CanonicalSecret(s); CanonicalSecret(c) != c {
			t.Fatalf("CanonicalSecret(%q) = %q; CanonicalSecret of that = %q", s, c, CanonicalSecret(c))
		}
		err := CheckText(s)
		bad := !utf8.ValidString(s) || strings.ContainsFunc(s, IsControl)
		if (err != nil) != bad {
			t.Fatalf("CheckText(%q) = %v; want an error: %v", s, err, bad)
		}
	})
}

// FuzzSecretForms checks that every spelling of one secret meets in one
// canonical form: its name, its full ARN (name, "-", six letters or
// digits), its partial ARN, and each of them read through ReferencePrefix
// with and without a selector, whatever the name (even one that ends in
// what looks like a suffix).
func FuzzSecretForms(f *testing.F) {
	f.Add("db", "AbCdEf", "us-east-1", "AWSPREVIOUS")
	f.Add("app/db-AbCdEf", "123456", "cn-north-1", "")
	f.Add("a-bcdefg-hijklm", "zzzzzz", "eu-west-1", "01234567-89ab-cdef-0123-456789abcdef")
	f.Fuzz(func(t *testing.T, name, suffix, region, sel string) {
		if !secretName(name) || !alnum6(suffix) || !ValidRegion(region) || strings.Contains(sel, ":") {
			t.Skip()
		}
		arn := "arn:" + PartitionOf(region) + ":secretsmanager:" + region + ":123456789012:secret:"
		ids := []string{name, arn + name + "-" + suffix, arn + name}
		want := CanonicalSecret(name)
		for _, id := range ids {
			if got := CanonicalSecret(id); got != want {
				t.Fatalf("CanonicalSecret(%q) = %q; want %q, that of %q", id, got, want, name)
			}
			for _, ref := range []string{ReferencePrefix + id, ReferencePrefix + id + ":" + sel} {
				if got, secret := CanonicalParameter(ref); got != want || !secret {
					t.Fatalf("CanonicalParameter(%q) = %q, %v; want %q, true", ref, got, secret, want)
				}
			}
		}
	})
}

// FuzzParameterForms checks that a parameter's name, its ARN and each with
// a selector meet in one canonical form.
func FuzzParameterForms(f *testing.F) {
	f.Add("/app/db", "us-east-1", "3")
	f.Add("db", "us-gov-west-1", "prod")
	f.Fuzz(func(t *testing.T, name, region, sel string) {
		if !parameterName(name) || !ValidRegion(region) || strings.Contains(sel, ":") {
			t.Skip()
		}
		arn := "arn:" + PartitionOf(region) + ":ssm:" + region + ":123456789012:parameter/" + strings.TrimPrefix(name, "/")
		want, _ := CanonicalParameter(name)
		for _, n := range []string{name, name + ":" + sel, arn, arn + ":" + sel} {
			if got, secret := CanonicalParameter(n); got != want || secret {
				t.Fatalf("CanonicalParameter(%q) = %q, %v; want %q, false", n, got, secret, want)
			}
		}
	})
}

// secretName: what Secrets Manager allows in a name (ASCII letters,
// digits, /_+=.@-), 1 to 512 characters.
func secretName(s string) bool {
	return s != "" && len(s) <= 512 && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.ContainsRune("/_+=.@-", r)))
	})
}

// parameterName: what SSM allows in a name (letters, digits, _.-/; a
// path starts with "/"), not under the reference prefix, and with
// something after "/".
func parameterName(s string) bool {
	if strings.Contains(s, "/") && !strings.HasPrefix(s, "/") {
		return false
	}
	return strings.Trim(s, "/") != "" && !IsReference(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.ContainsRune("_.-/", r)))
	})
}

func alnum6(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := range len(s) {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
