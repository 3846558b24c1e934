package stacks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Readers of CDK context values, which arrive as JSON values (cdk.json) or
// as strings (cdk synth -c key=value).

// optionalString reads a string context value; absent or null gives "".
func optionalString(get func(string) any, key string) (string, error) {
	switch v := get(key).(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("context %q must be a string, got %T %v", key, v, v)
	}
}

// optionalInt reads an integer given as a JSON number (cdk.json) or a string (-c key=30).
func optionalInt(get func(string) any, key string) (int, bool, error) {
	switch v := get(key).(type) {
	case nil:
		return 0, false, nil
	case float64:
		if v != float64(int(v)) {
			return 0, true, fmt.Errorf("context %q = %v must be a whole number", key, v)
		}
		return int(v), true, nil
	case int:
		return v, true, nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, true, fmt.Errorf("context %q = %q must be a whole number", key, v)
		}
		return n, true, nil
	default:
		return 0, true, fmt.Errorf("context %q must be a number, got %T", key, v)
	}
}

// stringList reads a list given as a JSON array (cdk.json), a JSON array in a
// string (-c 'k=["a","b"]') or a comma-separated string (-c k=a,b).
// Absent gives nil; present but empty gives a non-nil empty slice.
func stringList(get func(string) any, key string) ([]string, error) {
	switch v := get(key).(type) {
	case nil:
		return nil, nil
	case []string:
		return append([]string{}, v...), nil
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("context %q[%d] must be a string, got %T", key, i, e)
			}
			out = append(out, s)
		}
		return out, nil
	case string:
		s := strings.TrimSpace(v)
		if strings.HasPrefix(s, "[") {
			var out []string
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, fmt.Errorf("context %q = %q is not a JSON list of strings: %w", key, v, err)
			}
			if out == nil {
				out = []string{}
			}
			return out, nil
		}
		out := []string{}
		for _, part := range strings.Split(s, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("context %q must be a list of strings, got %T", key, v)
	}
}
