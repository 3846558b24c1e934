// Package seed validates a users CSV and seeds the users into a Cognito user
// pool idempotently: create (welcome message suppressed, email verified), add
// to the tenant's group, set a permanent password.
package seed

import (
	"bytes"
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenantid"
)

// Header is the required first line of a users file.
const Header = "username,email,tenant"

// User is one validated line of a users file.
type User struct {
	Line     int
	Username string
	Email    string
	Tenant   string
}

// Problem is one validation error, tied to a line (0 = the whole file).
type Problem struct {
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.Msg
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
}

// ValidationError lists every problem found in a users file.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s), nothing was changed:", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// usernamePattern is deliberately stricter than Cognito's
// [\p{L}\p{M}\p{S}\p{N}\p{P}]+ (max 128): ASCII names that are safe in shells,
// file names and JSON.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$`)

// ParseUsers parses and validates a users file. knownTenants, when non-nil,
// is the set of tenants the stack has; a user for any other tenant is a
// problem. When knownTenants is nil tenant ids are only checked for syntax.
// It returns all users or a *ValidationError listing every problem.
func ParseUsers(name string, data []byte, knownTenants []string) ([]User, error) {
	var problems []Problem
	add := func(line int, format string, args ...any) {
		problems = append(problems, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	known := map[string]bool{}
	for _, t := range knownTenants {
		known[t] = true
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM from spreadsheet exports
	lines := strings.Split(string(data), "\n")
	var users []User
	firstSeen := map[string]int{} // lower-case username -> line
	headerSeen := false
	for i, raw := range lines {
		lineNo := i + 1
		line := strings.TrimSuffix(raw, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, ",")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if !headerSeen {
			headerSeen = true
			if strings.Join(fields, ",") == Header {
				continue
			}
			add(lineNo, "header must be exactly %q, got %q", Header, truncate(strings.Join(fields, ",")))
			// A first line that looks like data means the header is missing:
			// validate it as data too, so its problems are reported as well.
			if len(fields) != 3 || !strings.Contains(fields[1], "@") {
				continue
			}
		}
		if len(fields) != 3 {
			add(lineNo, "want 3 columns (username,email,tenant), got %d", len(fields))
			continue
		}
		u := User{Line: lineNo, Username: fields[0], Email: fields[1], Tenant: fields[2]}
		ok := true
		if u.Username == "" {
			add(lineNo, "empty username")
			ok = false
		} else if !usernamePattern.MatchString(u.Username) {
			add(lineNo, "invalid username %q: use 1-128 characters A-Z a-z 0-9 . _ @ + - starting with a letter or digit", truncate(u.Username))
			ok = false
		} else if first, dup := firstSeen[strings.ToLower(u.Username)]; dup {
			add(lineNo, "duplicate username %q (first on line %d; usernames are case-insensitive)", u.Username, first)
			ok = false
		} else {
			firstSeen[strings.ToLower(u.Username)] = lineNo
		}
		if u.Email == "" {
			add(lineNo, "empty email")
			ok = false
		} else if !validEmail(u.Email) {
			add(lineNo, "malformed email %q", truncate(u.Email))
			ok = false
		}
		switch {
		case u.Tenant == "":
			add(lineNo, "empty tenant")
			ok = false
		case !tenantid.Valid(u.Tenant):
			add(lineNo, "invalid tenant id %q", truncate(u.Tenant))
			ok = false
		case knownTenants != nil && !known[u.Tenant]:
			add(lineNo, "unknown tenant %q (the stack has: %s)", u.Tenant, strings.Join(sortedCopy(knownTenants), ", "))
			ok = false
		}
		if ok {
			users = append(users, u)
		}
	}
	if !headerSeen {
		add(0, "empty file: want the header %q and at least one user", Header)
	} else if len(users) == 0 && len(problems) == 0 {
		add(0, "no users after the header")
	}
	if len(problems) > 0 {
		return nil, &ValidationError{File: name, Problems: problems}
	}
	return users, nil
}

func validEmail(s string) bool {
	if strings.ContainsAny(s, " \t\"<>()") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func truncate(s string) string {
	const max = 60
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// Tenants returns the distinct tenants of users in first-seen order.
func Tenants(users []User) []string {
	var out []string
	for _, u := range FirstUserPerTenant(users) {
		out = append(out, u.Tenant)
	}
	return out
}
