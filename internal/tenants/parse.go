package tenants

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenantid"
)

// Error lists every problem of a tenants file. Each problem names the file,
// the tenant (index and id) or cell, the field and the fix.
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	return "invalid tenants file " + e.File + ":\n  - " + strings.Join(e.Problems, "\n  - ")
}

// fieldOrder is every field a tenant entry may have, in Format's order.
var fieldOrder = []string{FieldID, FieldPriority, FieldCell, FieldMemorySize, FieldReservedConcurrency}

// example is the smallest valid file, for messages.
const example = `{"tenants":[{"id":"tenant-A","priority":10}]}`

// utf8BOM is tolerated at the start of the file (some editors write it).
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse decodes and validates a tenants file (file names it in messages).
// It returns the tenants in file order with defaults applied (memorySize
// DefaultMemorySizeMB, cell contract.DefaultCell), or an *Error listing every
// problem. Field names are case-sensitive and unknown fields are errors.
func Parse(file string, data []byte, limits Limits) (Document, error) {
	p := &parser{file: file}
	entries, ok := p.entries(bytes.TrimPrefix(data, utf8BOM))
	if !ok {
		return Document{}, p.err()
	}
	if len(entries) == 0 {
		p.add("%s: no tenants; add at least one, e.g. %s", file, example)
		return Document{}, p.err()
	}
	doc := Document{Tenants: make([]Tenant, 0, len(entries))}
	for i, raw := range entries {
		doc.Tenants = append(doc.Tenants, p.tenant(i, raw))
	}
	p.checkCapacity(limits)
	if len(p.problems) > 0 {
		return Document{}, p.err()
	}
	return doc, nil
}

type parser struct {
	file     string
	problems []string

	byID        map[string]string // lower-case id -> id
	byOutputKey map[string]string // lower-case output key -> id
	byPriority  map[cellPriority]string
	cellCount   map[string]int
	cellOrder   []string
}

type cellPriority struct {
	cell     string
	priority int
}

func (p *parser) add(format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, a...))
}

func (p *parser) err() error {
	return &Error{File: p.file, Problems: append([]string(nil), p.problems...)}
}

// entries returns the raw tenant entries, or false after adding a problem
// when the file's outer shape is wrong.
func (p *parser) entries(data []byte) ([]json.RawMessage, bool) {
	fields, err := objectFields(data, true)
	if err != nil {
		p.add("%s: not a valid tenants file (%v); expected a JSON object like %s", p.file, err, example)
		return nil, false
	}
	var tenants json.RawMessage
	ok := true
	for _, f := range fields {
		switch {
		case f.name != "tenants":
			p.add("%s: unknown field %q at the top level%s; the file has only \"tenants\"", p.file, f.name, caseHint(f.name, []string{"tenants"}))
			ok = false
		case f.dup:
			p.add("%s: field \"tenants\" appears twice; keep one list", p.file)
			ok = false
		default:
			tenants = f.value
		}
	}
	if !ok {
		return nil, false
	}
	if tenants == nil || isNull(tenants) {
		return nil, true
	}
	var list []json.RawMessage
	if err := json.Unmarshal(tenants, &list); err != nil {
		p.add("%s: field \"tenants\" must be a list of tenants, e.g. %s", p.file, example)
		return nil, false
	}
	return list, true
}

// tenant decodes and checks entry i, recording problems; it returns the
// tenant with defaults applied (meaningful only when there are no problems).
func (p *parser) tenant(i int, raw json.RawMessage) Tenant {
	if p.byID == nil {
		p.byID, p.byOutputKey = map[string]string{}, map[string]string{}
		p.byPriority, p.cellCount = map[cellPriority]string{}, map[string]int{}
	}
	fields, err := objectFields(raw, false)
	if err != nil {
		p.add("%s: tenants[%d]: not an object (%v); write each tenant as {\"id\":\"tenant-A\",\"priority\":10}", p.file, i, err)
		return Tenant{}
	}

	// The id first, so that every later message can name the tenant.
	values := map[string]json.RawMessage{}
	var id string
	var idProblem string
	for _, f := range fields {
		if f.name == FieldID && !f.dup && !isNull(f.value) {
			if err := json.Unmarshal(f.value, &id); err != nil {
				idProblem = fmt.Sprintf("field \"id\" must be a string (got %s); use e.g. \"tenant-A\"", compact(f.value))
			}
		}
	}
	where := fmt.Sprintf("%s: tenants[%d] (id %q)", p.file, i, id)
	if idProblem != "" {
		p.add("%s: %s", where, idProblem)
	}
	for _, f := range fields {
		switch {
		case !contains(fieldOrder, f.name):
			p.add("%s: unknown field %q%s; a tenant has only %s", where, f.name, caseHint(f.name, fieldOrder), quoteList(fieldOrder))
		case f.dup:
			p.add("%s: field %q appears twice; keep one", where, f.name)
		case isNull(f.value):
			p.add("%s: field %q is null; give it a value or remove it", where, f.name)
		default:
			values[f.name] = f.value
		}
	}

	t := Tenant{ID: id, MemorySize: DefaultMemorySizeMB, Cell: contract.DefaultCell}
	priority, hasPriority := p.intField(where, values, FieldPriority)
	memory, hasMemory := p.intField(where, values, FieldMemorySize)
	reserved, hasReserved := p.intField(where, values, FieldReservedConcurrency)
	cell, hasCell := p.stringField(where, values, FieldCell, `"2" or "eu-1"`)

	// id
	_, idGiven := values[FieldID]
	switch {
	case idProblem != "":
	case !idGiven || id == "":
		p.add("%s: field \"id\" is missing or empty; give every tenant an id, e.g. \"tenant-A\"", where)
	case !tenantid.Valid(id):
		p.add("%s: field \"id\" must match %s so it is safe as a Cognito group name, an ALB path pattern and a regex", where, tenantid.Rule)
	case len(id) > MaxIDLen:
		p.add("%s: field \"id\" is %d characters; the path pattern \"/<id>/*\" must fit in %d, so use at most %d",
			where, len(id), MaxPathPatternLen, MaxIDLen)
	default:
		key := strings.ToLower(id)
		if prev, dup := p.byID[key]; dup {
			p.add("%s: field \"id\" duplicates tenant %q (ids are compared case-insensitively); rename one", where, prev)
		} else {
			p.byID[key] = id
		}
		ok := strings.ToLower(t.OutputKey())
		if prev, dup := p.byOutputKey[ok]; dup && !strings.EqualFold(prev, id) {
			p.add("%s: field \"id\" gives output key %q, the same as tenant %q (non-alphanumerics are dropped); rename one",
				where, t.OutputKey(), prev)
		} else if !dup {
			p.byOutputKey[ok] = id
		}
	}

	// cell
	cellOK := true
	if hasCell {
		if ValidCellID(cell) {
			t.Cell = cell
		} else {
			cellOK = false
			p.add("%s: field \"cell\" = %q must match %s; use e.g. \"2\" or \"eu-1\", or omit it for cell %q",
				where, cell, CellIDRule, contract.DefaultCell)
		}
	} else if _, given := values[FieldCell]; given {
		cellOK = false // wrong type, reported by stringField
	}
	if cellOK {
		if p.cellCount[t.Cell] == 0 {
			p.cellOrder = append(p.cellOrder, t.Cell)
		}
		p.cellCount[t.Cell]++
	}

	// priority
	_, priorityGiven := values[FieldPriority]
	switch {
	case !priorityGiven:
		p.add("%s: field \"priority\" is missing; give the tenant a listener rule priority in %d..%d, unique in its cell",
			where, MinPriority, MaxPriority)
	case !hasPriority: // wrong type, reported
	case priority < MinPriority || priority > MaxPriority:
		p.add("%s: field \"priority\" = %d is out of range; use an integer in %d..%d, unique in its cell",
			where, priority, MinPriority, MaxPriority)
	default:
		t.Priority = priority
		if cellOK {
			k := cellPriority{t.Cell, priority}
			if prev, dup := p.byPriority[k]; dup {
				p.add("%s: field \"priority\" = %d is already used by tenant %q in cell %q; listener rule priorities must be unique within a cell, pick a free one",
					where, priority, prev, t.Cell)
			} else {
				p.byPriority[k] = id
			}
		}
	}

	// memorySize
	if hasMemory {
		if memory < MinMemorySizeMB || memory > MaxMemorySizeMB {
			p.add("%s: field \"memorySize\" = %d; Lambda accepts %d..%d MB (or omit it for %d)",
				where, memory, MinMemorySizeMB, MaxMemorySizeMB, DefaultMemorySizeMB)
		} else {
			t.MemorySize = memory
		}
	}

	// reservedConcurrency
	if hasReserved {
		if reserved < 1 {
			p.add("%s: field \"reservedConcurrency\" = %d; use an integer >= 1 (it is taken from the account's unreserved "+
				"concurrency, which must keep at least %d), or omit the field for no reservation",
				where, reserved, MinUnreservedConcurrency)
		} else {
			t.ReservedConcurrency = reserved
		}
	}
	return t
}

// intField decodes an optional integer field; a wrong type is a problem.
func (p *parser) intField(where string, values map[string]json.RawMessage, name string) (int, bool) {
	raw, ok := values[name]
	if !ok {
		return 0, false
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		p.add("%s: field %q must be a whole number (got %s)", where, name, compact(raw))
		return 0, false
	}
	return n, true
}

// stringField decodes an optional string field; a wrong type is a problem.
func (p *parser) stringField(where string, values map[string]json.RawMessage, name, eg string) (string, bool) {
	raw, ok := values[name]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.add("%s: field %q must be a string (got %s); use e.g. %s", where, name, compact(raw), eg)
		return "", false
	}
	return s, true
}

// checkCapacity reports every cell with more tenants than CellCapacity.
func (p *parser) checkCapacity(limits Limits) {
	capacity := CellCapacity(limits)
	rules := limits.MaxRulesPerALB
	if rules <= 0 {
		rules = DefaultMaxRulesPerALB
	}
	cells := append([]string(nil), p.cellOrder...)
	sortCellIDs(cells)
	for _, c := range cells {
		if n := p.cellCount[c]; n > capacity {
			p.add("%s: cell %q has %d tenants, the maximum is %d (one target group and one listener rule per tenant: "+
				"min(%d target groups per ALB, not adjustable; %d rules per ALB, context maxRulesPerAlb) less %d kept free "+
				"so that CloudFormation can replace a target group or rule); put %d of them in another cell "+
				"(`go run ./scripts/tenants add` places new tenants in cells with room)",
				p.file, c, n, capacity, MaxTargetGroupsPerALB, rules, ReplacementHeadroom, n-capacity)
		}
	}
}

func sortCellIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool { return CompareCellIDs(ids[i], ids[j]) < 0 })
}

type objectField struct {
	name  string
	value json.RawMessage
	dup   bool // the name appeared earlier in the same object
}

// objectFields reads one JSON object, keeping its fields in order and
// marking repeated names (encoding/json would silently keep the last).
// With whole, nothing but white space may follow the object.
func objectFields(data []byte, whole bool) ([]objectField, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("found %s, not an object", describeToken(tok))
	}
	var fields []objectField
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, tokenErr(err)
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, tokenErr(err)
		}
		fields = append(fields, objectField{name: name, value: value, dup: seen[name]})
		seen[name] = true
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, tokenErr(err)
	}
	if whole {
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("unexpected data after the object")
		}
	}
	return fields, nil
}

func tokenErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func describeToken(tok any) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "a list"
		}
		return string(v)
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// compact shows a raw value in a message, shortened.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		b.Reset()
		b.Write(raw)
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// caseHint suggests the known name that differs only in case.
func caseHint(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf(" (field names are case-sensitive: did you mean %q?)", k)
		}
	}
	return ""
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
