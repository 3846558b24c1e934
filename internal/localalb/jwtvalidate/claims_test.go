package jwtvalidate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestMatchClaim(t *testing.T) {
	single := Claim{Name: "c", Format: FormatSingleString, Values: []string{"access", "id"}}
	array := Claim{Name: "c", Format: FormatStringArray, Values: []string{"tenant-A", "admins"}}
	spaced := Claim{Name: "c", Format: FormatSpaceSeparatedValues, Values: []string{"read", "write"}}
	tests := []struct {
		claim Claim
		raw   string
		want  claimResult
	}{
		{single, `"access"`, claimMatch},
		{single, `"id"`, claimMatch},
		{single, `"Access"`, claimMismatch},
		{single, `"access "`, claimMismatch},
		{single, `""`, claimMismatch},
		{single, `"acc\u0065ss"`, claimMatch}, // JSON escapes are decoded before comparing
		{single, `["access"]`, claimWrongType},
		{single, `null`, claimWrongType},
		{single, `1`, claimWrongType},
		{single, `true`, claimWrongType},
		{single, `{"access":1}`, claimWrongType},

		{array, `["tenant-A"]`, claimMatch},
		{array, `["x","admins"]`, claimMatch},
		{array, `"tenant-A"`, claimWrongType}, // JWT-A9: a plain string is not an array
		{array, `"tenant-B"`, claimWrongType},
		{array, `[]`, claimMismatch},
		{array, `["tenant-a"]`, claimMismatch},
		{array, `["tenant-A tenant-B"]`, claimMismatch},
		{array, `[["tenant-A"]]`, claimWrongType},
		{array, `["tenant-A",null]`, claimWrongType},
		{array, `[1]`, claimWrongType},
		{array, `null`, claimWrongType},
		{array, `{"0":"tenant-A"}`, claimWrongType},

		{spaced, `"read write"`, claimMatch},
		{spaced, `"write admin read"`, claimMatch},
		{spaced, `"read  write"`, claimMatch},
		{spaced, `"read"`, claimMismatch},      // ALL values are required
		{spaced, `"readwrite"`, claimMismatch}, // tokens, not substrings
		{spaced, `"read,write"`, claimMismatch},
		{spaced, `"Read write"`, claimMismatch},
		{spaced, `""`, claimMismatch},
		{spaced, `["read","write"]`, claimWrongType},
		{spaced, `null`, claimWrongType},
	}
	for _, tc := range tests {
		if got := matchClaim(tc.claim, json.RawMessage(tc.raw)); got != tc.want {
			t.Errorf("matchClaim(%s, %s) = %d, want %d", tc.claim.Format, tc.raw, got, tc.want)
		}
	}
}

// FuzzMatchClaim checks that matching never panics and that a match is always
// justified by the decoded claim.
func FuzzMatchClaim(f *testing.F) {
	f.Add(0, `"access"`, "access")
	f.Add(1, `["tenant-A","x"]`, "tenant-A")
	f.Add(1, `"tenant-A"`, "tenant-A")
	f.Add(2, `"a b c"`, "b")
	f.Add(2, `"a  b"`, "")
	f.Add(1, `[1,"a"]`, "a")
	f.Add(0, `null`, "")
	formats := []string{FormatSingleString, FormatStringArray, FormatSpaceSeparatedValues}
	f.Fuzz(func(t *testing.T, format int, raw, value string) {
		if format < 0 {
			format = -format
		}
		c := Claim{Name: "c", Format: formats[format%len(formats)], Values: []string{value}}
		if matchClaim(c, json.RawMessage(raw)) != claimMatch {
			return
		}
		var decoded any
		if err := json.Unmarshal([]byte(raw), &decoded); err != nil {
			t.Fatalf("%s matched invalid JSON %q", c.Format, raw)
		}
		switch c.Format {
		case FormatSingleString:
			if decoded != value {
				t.Fatalf("single-string matched %q against %q", raw, value)
			}
		case FormatStringArray:
			elems, ok := decoded.([]any)
			if !ok || !slices.Contains(elems, any(value)) {
				t.Fatalf("string-array matched %q against %q", raw, value)
			}
		case FormatSpaceSeparatedValues:
			s, ok := decoded.(string)
			if !ok || !slices.Contains(strings.Split(s, " "), value) {
				t.Fatalf("space-separated-values matched %q against %q", raw, value)
			}
		}
	})
}
