package awsname_test

import (
	"fmt"

	"github.com/parsec-go/parsec/internal/awsname"
)

// Every spelling of one secret meets in one canonical form, the name
// invalidation stamps.
func ExampleCanonicalSecret() {
	for _, id := range []string{
		"app/db",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbC123", // full ARN
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db",        // partial ARN
	} {
		fmt.Println(awsname.CanonicalSecret(id))
	}
	form, secret := awsname.CanonicalParameter(awsname.ReferencePrefix + "app/db:AWSPREVIOUS")
	fmt.Println(form, secret)
	// Output:
	// app/db
	// app/db
	// app/db
	// app/db true
}

func ExampleSplitSelector() {
	fmt.Println(awsname.SplitSelector("/app/db:3"))
	fmt.Println(awsname.SplitSelector("arn:aws:ssm:us-east-1:123456789012:parameter/app/db:prod"))
	fmt.Println(awsname.SplitSelector(awsname.ReferencePrefix + "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123:AWSPREVIOUS"))
	// Output:
	// /app/db 3 true
	// arn:aws:ssm:us-east-1:123456789012:parameter/app/db prod true
	// /aws/reference/secretsmanager/arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123 AWSPREVIOUS true
}

func ExampleCheckText() {
	fmt.Println(awsname.CheckText("/app/db"))
	fmt.Println(awsname.CheckText("/app/db\n"))
	fmt.Println(awsname.CheckText("/app/\u009b"))
	// Output:
	// <nil>
	// control character U+000A at offset 7
	// control character U+009B at offset 5
}
