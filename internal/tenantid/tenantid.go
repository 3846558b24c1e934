// Package tenantid holds the one rule for tenant ids, shared by the CDK app
// (stacks) and the operator tools (scripts), so that what the stack accepts
// and what the seed tool accepts can never drift apart.
package tenantid

import "regexp"

// pattern: a tenant id is used unescaped as a Cognito group name, inside an
// ALB path pattern (/<id>/*, allowed characters A-Z a-z 0-9 _ - . $ / ~ " ' @
// : + & * ?) and inside an RE2 regular expression (^/<id>/?(.*)$). Letters,
// digits, '_' and '-' are the characters safe in all three ('.', '$', '+',
// '*', '?' are regex metacharacters).
var pattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// Rule is the human-readable form of the rule, for error messages.
const Rule = `^[A-Za-z0-9][A-Za-z0-9_-]*$ (letters, digits, '_' and '-', starting with a letter or digit)`

// Valid reports whether id follows the tenant id rule. Length limits are the
// caller's (they depend on where the id is used).
func Valid(id string) bool { return pattern.MatchString(id) }
