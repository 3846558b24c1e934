package jwtvalidate

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// claimResult is the outcome of matching one additional claim.
type claimResult int

const (
	claimMatch claimResult = iota
	claimMismatch
	claimWrongType
)

// matchClaim applies the additional-claim semantics (alb-behaviour.md §1.6; assumption
// JWT-A9). Comparison is exact and case-sensitive.
//   - single-string: the claim is a JSON string equal to one of the values.
//   - string-array: the claim is a JSON array of strings with at least one element
//     equal to one of the values; a plain JSON string is the wrong type (JWT-A9).
//   - space-separated-values: the claim is a JSON string whose space-separated tokens
//     include every configured value.
func matchClaim(c Claim, raw json.RawMessage) claimResult {
	switch c.Format {
	case FormatSingleString:
		s, ok := jsonString(raw)
		if !ok {
			return claimWrongType
		}
		if slices.Contains(c.Values, s) {
			return claimMatch
		}
		return claimMismatch

	case FormatStringArray:
		if len(raw) == 0 || raw[0] != '[' {
			return claimWrongType
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return claimWrongType
		}
		result := claimMismatch
		for _, e := range elems {
			s, ok := jsonString(e)
			if !ok {
				return claimWrongType
			}
			if slices.Contains(c.Values, s) {
				result = claimMatch
			}
		}
		return result

	case FormatSpaceSeparatedValues:
		s, ok := jsonString(raw)
		if !ok {
			return claimWrongType
		}
		tokens := strings.Split(s, " ")
		for _, want := range c.Values {
			if !slices.Contains(tokens, want) {
				return claimMismatch
			}
		}
		return claimMatch
	}
	return claimMismatch // unreachable: formats are checked by Config.Validate
}

// jsonString decodes raw when it is a JSON string (not null, not any other type).
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	// Fast path, what json.Unmarshal yields for a string without escapes,
	// control characters or invalid UTF-8 (which it would replace).
	if n := len(raw); n >= 2 && raw[n-1] == '"' {
		inner := raw[1 : n-1]
		plain := utf8.Valid(inner)
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), true
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonNumber decodes raw when it is a JSON number (RFC 7519 NumericDate).
func jsonNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	if !json.Valid(raw) {
		return 0, false
	}
	// A valid JSON number: json.Unmarshal into a float64 is strconv.ParseFloat
	// and fails on the same overflow.
	f, err := strconv.ParseFloat(string(bytes.TrimRight(raw, " \t\r\n")), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}
