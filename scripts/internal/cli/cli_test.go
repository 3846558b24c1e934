package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		wantCode   int
		wantOK     bool
		wantStderr string
	}{
		{[]string{"--name", "x", "rest"}, 0, true, ""},
		{[]string{"--help"}, 0, false, "Usage of tool"},
		{[]string{"-h"}, 0, false, "Usage of tool"},
		{[]string{"--no-such-flag"}, 2, false, "flag provided but not defined: -no-such-flag"},
		{[]string{"--name"}, 2, false, "flag needs an argument: -name"},
	} {
		var stderr bytes.Buffer
		fs := NewFlagSet("tool", &stderr)
		name := fs.String("name", "", "a name")
		code, ok := Parse(fs, tc.args)
		if code != tc.wantCode || ok != tc.wantOK || !strings.Contains(stderr.String(), tc.wantStderr) {
			t.Errorf("Parse(%q) = %d, %v, stderr %q; want %d, %v, stderr containing %q", tc.args, code, ok, stderr.String(), tc.wantCode, tc.wantOK, tc.wantStderr)
		}
		if tc.wantOK && (*name != "x" || fs.NArg() != 1) {
			t.Errorf("Parse(%q): name %q, %d args left", tc.args, *name, fs.NArg())
		}
	}
}
