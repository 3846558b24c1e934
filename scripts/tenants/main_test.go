package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
	"github.com/tenantrouting/alb-jwt-tenant-routing/stacks"
)

// fixture writes a tenants file from compact specs "id:cell:priority" and
// returns its path.
func fixture(t *testing.T, specs ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.json")
	if err := os.WriteFile(path, tenants.Format(doc(t, specs...)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func doc(t *testing.T, specs ...string) tenants.Document {
	t.Helper()
	var d tenants.Document
	for _, s := range specs {
		var id, cell string
		var prio int
		parts := strings.Split(s, ":")
		if len(parts) != 3 {
			t.Fatalf("bad spec %q", s)
		}
		id, cell = parts[0], parts[1]
		fmt.Sscan(parts[2], &prio)
		d.Tenants = append(d.Tenants, tenants.Tenant{ID: id, Cell: cell, Priority: prio, MemorySize: tenants.DefaultMemorySizeMB})
	}
	return d
}

// cells generates n tenants in cell with priorities 10, 20, ...
func cells(cell string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("c%s-%d:%s:%d", cell, i, cell, i*10))
	}
	return out
}

func runTool(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func read(t *testing.T, path string) tenants.Document {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := tenants.Parse(path, data, tenants.Limits{})
	if err != nil {
		t.Fatalf("the tool wrote an invalid file: %v", err)
	}
	return d
}

func placed(d tenants.Document) map[string]string {
	m := map[string]string{}
	for _, t := range d.Tenants {
		m[t.ID] = fmt.Sprintf("%s:%d", t.Cell, t.Priority)
	}
	return m
}

func TestAddPlacement(t *testing.T) {
	tests := []struct {
		name   string
		file   []string
		args   []string
		want   map[string]string // new tenant -> cell:priority
		output []string
	}{
		{"least-full cell, ties to the lowest id", append(append(cells("1", 3), cells("3", 1)...), cells("2", 1)...),
			[]string{"add", "x", "y", "z"}, map[string]string{"x": "2:20", "y": "3:20", "z": "2:30"},
			[]string{"added x to cell 2 (priority 20)", "added y to cell 3 (priority 20)", "added z to cell 2 (priority 30)", "deploy: cdk deploy TenantRouting-Cell-2 TenantRouting-Cell-3"}},
		{"numeric cells order by value", append(cells("10", 1), cells("9", 1)...),
			[]string{"add", "x"}, map[string]string{"x": "9:20"}, nil},
		{"full cells are skipped", append(cells("1", 2), cells("2", 1)...),
			[]string{"add", "x", "--max-rules-per-alb", "3"}, map[string]string{"x": "2:20"}, nil},
		{"all full opens the next cell", append(cells("1", 2), cells("2", 2)...),
			[]string{"--max-rules-per-alb", "3", "add", "x", "y", "z"}, map[string]string{"x": "3:10", "y": "3:20", "z": "4:10"},
			[]string{"added x to cell 3 (priority 10), a new cell: stack TenantRouting-Cell-3", "added z to cell 4 (priority 10), a new cell"}},
		{"next cell follows the highest numeric id", append(append(cells("2", 2), cells("10", 2)...), cells("eu-1", 2)...),
			[]string{"add", "x", "--max-rules-per-alb=3"}, map[string]string{"x": "11:10"}, nil},
		{"no numeric cell opens cell 1", cells("eu-1", 2),
			[]string{"add", "x", "--max-rules-per-alb=3"}, map[string]string{"x": "1:10"}, nil},
		{"--cell puts them there", cells("1", 1),
			[]string{"add", "--cell", "eu-1", "x", "y", "--stack-name", "Acme"}, map[string]string{"x": "eu-1:10", "y": "eu-1:20"},
			[]string{"a new cell: stack Acme-Cell-eu-1", "deploy: cdk deploy Acme-Cell-eu-1"}},
		{"priority: next multiple of 10 above the highest", []string{"a:1:25", "b:1:7"},
			[]string{"add", "x"}, map[string]string{"x": "1:30"}, nil},
		{"priority: lowest free multiple of 10 when the next overflows", []string{"a:1:10", "b:1:50000", "c:1:30"},
			[]string{"add", "x"}, map[string]string{"x": "1:20"}, nil},
		{"priorities are per cell", []string{"a:1:500", "b:2:10"},
			[]string{"add", "--cell", "2", "x"}, map[string]string{"x": "2:20"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := fixture(t, tc.file...)
			before := placed(read(t, path))
			code, out, errs := runTool(t, append([]string{"--file", path}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			after := placed(read(t, path))
			for id, where := range before {
				if after[id] != where {
					t.Errorf("existing tenant %s moved: %s -> %s", id, where, after[id])
				}
			}
			for id, where := range tc.want {
				if after[id] != where {
					t.Errorf("new tenant %s at %q, want %q", id, after[id], where)
				}
			}
			if len(after) != len(before)+len(tc.want) {
				t.Errorf("%d tenants after, want %d", len(after), len(before)+len(tc.want))
			}
			for _, w := range tc.output {
				if !strings.Contains(out, w) {
					t.Errorf("output does not contain %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestAddKeepsLayout: adding a tenant to the repository's file adds its line;
// only the line before gains a comma (JSON has no trailing commas).
func TestAddKeepsLayout(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tenants.json")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runTool(t, "add", "tenant-C", "--file", path); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, _ := os.ReadFile(path)
	want := strings.Replace(string(src), `{ "id": "tenant-B", "priority": 20 }`,
		`{ "id": "tenant-B", "priority": 20 },`+"\n"+`    { "id": "tenant-C", "priority": 30 }`, 1)
	if string(got) != want {
		t.Fatalf("file =\n%s\nwant\n%s", got, want)
	}
}

func TestAddOptionsAndMode(t *testing.T) {
	path := fixture(t, "a:1:10")
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runTool(t, "add", "x", "--memory", "512", "--reserved-concurrency", "5", "--file", path); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := read(t, path)
	if got := d.Tenants[1]; got != (tenants.Tenant{ID: "x", Priority: 20, MemorySize: 512, ReservedConcurrency: 5, Cell: "1"}) {
		t.Errorf("new tenant = %+v", got)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", st.Mode().Perm())
	}
}

func TestAddCreatesMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.json")
	if code, out, errs := runTool(t, "add", "a", "--file", path); code != 0 || !strings.Contains(out, "added a to cell 1 (priority 10)") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if got := placed(read(t, path)); !reflect.DeepEqual(got, map[string]string{"a": "1:10"}) {
		t.Fatalf("placed = %v", got)
	}
}

func TestAddIsIdempotent(t *testing.T) {
	path := fixture(t, "a:2:10", "b:1:10")
	before, _ := os.ReadFile(path)
	renames := 0
	ops = fileOps{write: realOps.write, sync: realOps.sync, rename: func(o, n string) error { renames++; return os.Rename(o, n) }}
	defer func() { ops = realOps }()

	code, out, errs := runTool(t, "add", "a", "--file", path)
	if code != 0 || strings.TrimSpace(out) != "a is already in cell 2 (priority 10): unchanged" {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) || renames != 0 {
		t.Fatalf("file rewritten (%d renames)", renames)
	}
	// Twice in one command: the second is the no-op.
	if code, out, _ := runTool(t, "add", "x", "x", "--file", path); code != 0 ||
		!strings.Contains(out, "added x to cell 1 (priority 20)") || !strings.Contains(out, "x is already in cell 1 (priority 20): unchanged") {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

// TestFailuresChangeNothing: every refused command leaves the file as it was.
func TestFailuresChangeNothing(t *testing.T) {
	tests := []struct {
		name string
		file []string
		args []string
		code int
		want []string
	}{
		{"cell at capacity", cells("1", 2), []string{"add", "x", "--cell", "1", "--max-rules-per-alb", "3"}, 1,
			[]string{`x: cell "1" is full (2 of 2 tenants)`, "nothing was changed"}},
		{"id differing in case", []string{"Acme:1:10"}, []string{"add", "acme"}, 1,
			[]string{`tenant "Acme" already exists`}},
		{"invalid id, checked by Parse", []string{"a:1:10"}, []string{"add", "ok", "bad.id"}, 1,
			[]string{`(id "bad.id")`, `field "id" must match`, "nothing was changed"}},
		{"invalid memory, checked by Parse", []string{"a:1:10"}, []string{"add", "x", "--memory", "64"}, 1,
			[]string{`"memorySize" = 64`, "nothing was changed"}},
		{"invalid cell", []string{"a:1:10"}, []string{"add", "x", "--cell", "EU"}, 1, []string{`--cell "EU" must match`}},
		{"remove an absent tenant", []string{"a:1:10", "b:1:20"}, []string{"remove", "b", "zz"}, 1,
			[]string{"zz: no such tenant", "nothing was changed"}},
		{"remove with the wrong case", []string{"Acme:1:10", "b:1:20"}, []string{"remove", "acme"}, 1, []string{`did you mean "Acme"`}},
		{"remove the last tenant", []string{"a:1:10"}, []string{"remove", "a"}, 1, []string{"no tenants", "nothing was changed"}},
		{"usage: no command", []string{"a:1:10"}, nil, 2, []string{"no command", "usage:"}},
		{"usage: unknown command", []string{"a:1:10"}, []string{"move", "a"}, 2, []string{`unknown command "move"`}},
		{"usage: add without ids", []string{"a:1:10"}, []string{"add"}, 2, []string{"add needs at least one tenant id"}},
		{"usage: list with arguments", []string{"a:1:10"}, []string{"list", "a"}, 2, []string{"list takes no arguments"}},
		{"usage: --cell with remove", []string{"a:1:10"}, []string{"remove", "a", "--cell", "1"}, 2, []string{"--cell is for add only"}},
		{"usage: unknown flag", []string{"a:1:10"}, []string{"add", "x", "--colour"}, 2, []string{"flag provided but not defined"}},
		{"usage: rules quota too small", []string{"a:1:10"}, []string{"add", "x", "--max-rules-per-alb", "1"}, 2, []string{"at least 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := fixture(t, tc.file...)
			before, _ := os.ReadFile(path)
			code, out, errs := runTool(t, append(tc.args, "--file", path)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errs)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, errs)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("file changed:\n%s", after)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("%d files in the directory, want only the tenants file", len(entries))
			}
		})
	}
}

func TestInvalidFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.json")
	bad := []byte(`{"tenants":[{"id":"a","priority":10},{"id":"b","priority":10}]}`)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runTool(t, "add", "x", "--file", path)
	if code != 1 || !strings.Contains(errs, `already used by tenant "a"`) || !strings.Contains(errs, "fix the file first") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
		t.Fatal("file changed")
	}
}

func TestRemove(t *testing.T) {
	path := fixture(t, "a:1:10", "b:2:10", "c:1:20")
	code, out, errs := runTool(t, "remove", "a", "b", "--file", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := placed(read(t, path)); !reflect.DeepEqual(got, map[string]string{"c": "1:20"}) {
		t.Fatalf("placed = %v", got)
	}
	for _, w := range []string{"removed a from cell 1 (priority 10)\n",
		"removed b from cell 2 (priority 10); cell 2 is now empty", "delete-stack --stack-name TenantRouting-Cell-2",
		"deploy: cdk deploy TenantRouting-Cell-1\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("output does not contain %q:\n%s", w, out)
		}
	}
}

// TestAtomicWrite: a write that fails at any step leaves the old file intact
// and no temporary file behind.
func TestAtomicWrite(t *testing.T) {
	boom := errors.New("boom")
	tests := map[string]fileOps{
		"write fails":  {write: func(*os.File, []byte) error { return boom }, sync: realOps.sync, rename: realOps.rename},
		"sync fails":   {write: realOps.write, sync: func(*os.File) error { return boom }, rename: realOps.rename},
		"rename fails": {write: realOps.write, sync: realOps.sync, rename: func(string, string) error { return boom }},
		"short write": {write: func(f *os.File, data []byte) error {
			f.Write(data[:len(data)/2])
			return boom
		}, sync: realOps.sync, rename: realOps.rename},
	}
	for name, o := range tests {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, "a:1:10")
			before, _ := os.ReadFile(path)
			ops = o
			defer func() { ops = realOps }()
			code, out, errs := runTool(t, "add", "x", "--file", path)
			if code != 1 || out != "" || !strings.Contains(errs, "boom") || !strings.Contains(errs, "the file is unchanged") {
				t.Fatalf("exit %d, out %q, err %q", code, out, errs)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatalf("file changed:\n%s", after)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Fatalf("%d files in the directory, want only the tenants file", len(entries))
			}
		})
	}
}

func TestWriteFollowsSymlink(t *testing.T) {
	target := fixture(t, "a:1:10")
	link := filepath.Join(t.TempDir(), "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runTool(t, "add", "x", "--file", link); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v", err)
	}
	if got := placed(read(t, target)); got["x"] != "1:20" {
		t.Fatalf("target = %v", got)
	}
}

func TestList(t *testing.T) {
	path := fixture(t, append(cells("2", 3), "a:1:10")...)
	code, out, errs := runTool(t, "list", "--file", path, "--max-rules-per-alb", "5", "--stack-name", "Acme")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `TENANT  CELL  PRIORITY  MEMORY  RESERVED
a       1     10        128     -
c2-1    2     10        128     -
c2-2    2     20        128     -
c2-3    2     30        128     -

CELL  TENANTS  CAPACITY  FULL  STACK
1     1        4         25%   Acme-Cell-1
2     3        4         75%   Acme-Cell-2
`
	if out != want {
		t.Fatalf("list =\n%s\nwant\n%s", out, want)
	}
}

// TestRoundTripThroughSynthesisConfig: what the tool writes is what
// synthesis accepts (stacks.ParseConfig, the same code as cdk synth), with
// the tenants in the cells the tool chose.
func TestRoundTripThroughSynthesisConfig(t *testing.T) {
	path := fixture(t, cells("1", 98)...)
	if code, _, errs := runTool(t, "add", "n1", "n2", "n3", "--file", path); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := map[string]any{stacks.CtxCertificateArn: "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"}
	cfg, err := stacks.ParseConfig(func(k string) any { return ctx[k] }, path, data)
	if err != nil {
		t.Fatalf("synthesis rejects the tool's file: %v", err)
	}
	var got []string
	for _, c := range cfg.Cells {
		got = append(got, fmt.Sprintf("%s:%d", c.ID, len(c.Tenants)))
	}
	if !reflect.DeepEqual(got, []string{"1:99", "2:2"}) {
		t.Fatalf("cells = %v, want 1:99 2:2", got)
	}
}
