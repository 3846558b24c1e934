package tenants

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// Format writes doc in the one canonical layout of the tenants file: one
// tenant per line, fields in the order id, priority, cell, memorySize,
// reservedConcurrency, optional fields omitted when they hold their default,
// tenants in doc's order. Editing one tenant therefore changes one line of a
// diff. For any doc returned by Parse, Parse(Format(doc)) equals doc.
func Format(doc Document) []byte {
	var b bytes.Buffer
	if len(doc.Tenants) == 0 {
		b.WriteString("{\n  \"tenants\": []\n}\n")
		return b.Bytes()
	}
	b.WriteString("{\n  \"tenants\": [\n")
	for i, t := range doc.Tenants {
		b.WriteString("    { ")
		field(&b, FieldID, quote(t.ID))
		b.WriteString(", ")
		field(&b, FieldPriority, strconv.Itoa(t.Priority))
		if t.Cell != "" && t.Cell != contract.DefaultCell {
			b.WriteString(", ")
			field(&b, FieldCell, quote(t.Cell))
		}
		if t.MemorySize != 0 && t.MemorySize != DefaultMemorySizeMB {
			b.WriteString(", ")
			field(&b, FieldMemorySize, strconv.Itoa(t.MemorySize))
		}
		if t.ReservedConcurrency != 0 {
			b.WriteString(", ")
			field(&b, FieldReservedConcurrency, strconv.Itoa(t.ReservedConcurrency))
		}
		b.WriteString(" }")
		if i < len(doc.Tenants)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}

func field(b *bytes.Buffer, name, value string) {
	b.WriteString(quote(name))
	b.WriteString(": ")
	b.WriteString(value)
}

func quote(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}
