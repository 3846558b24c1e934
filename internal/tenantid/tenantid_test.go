package tenantid

import (
	"regexp"
	"testing"
)

func TestValid(t *testing.T) {
	for id, want := range map[string]bool{
		"tenant-A": true, "t_1": true, "9lives": true, "A": true,
		"": false, "-lead": false, "_lead": false, "a.b": false, "a$": false, "a+b": false, "a*": false,
		"a?": false, "a/b": false, "a b": false, "ä": false, "a\n": false,
	} {
		if got := Valid(id); got != want {
			t.Errorf("Valid(%q) = %v, want %v", id, got, want)
		}
	}
}

// FuzzValidIsRegexSafe: every valid id is literal inside a regular
// expression (QuoteMeta leaves it unchanged), so the rewrite regex built
// from it matches exactly the prefix.
func FuzzValidIsRegexSafe(f *testing.F) {
	for _, s := range []string{"tenant-A", "a.b", "x*", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if Valid(id) && regexp.QuoteMeta(id) != id {
			t.Fatalf("valid id %q contains regex metacharacters", id)
		}
	})
}
