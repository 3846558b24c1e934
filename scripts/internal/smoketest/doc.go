// Package smoketest holds the tests of scripts/smoke.sh: shellcheck, argument
// handling, and the whole case matrix against a fake ALB (httptest) with a
// fake get-token. It has no non-test code.
package smoketest
