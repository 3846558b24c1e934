// Package checktools holds the tests of scripts/check-tools.sh (the first
// step of `make test` and `make local`). It has no non-test code.
package checktools
