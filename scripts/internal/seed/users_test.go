package seed

import (
	"errors"
	"strings"
	"testing"
)

var stackTenants = []string{"tenant-A", "tenant-B"}

func TestParseUsersValid(t *testing.T) {
	in := "\xef\xbb\xbfusername,email,tenant\r\nalice,alice@example.com,tenant-A\r\n\n bob , bob@example.com , tenant-B \n"
	users, err := ParseUsers("users.csv", []byte(in), stackTenants)
	if err != nil {
		t.Fatalf("ParseUsers: %v", err)
	}
	want := []User{
		{Line: 2, Username: "alice", Email: "alice@example.com", Tenant: "tenant-A"},
		{Line: 4, Username: "bob", Email: "bob@example.com", Tenant: "tenant-B"},
	}
	if len(users) != len(want) {
		t.Fatalf("got %d users, want %d", len(users), len(want))
	}
	for i := range want {
		if users[i] != want[i] {
			t.Errorf("user %d = %+v, want %+v", i, users[i], want[i])
		}
	}
	if got := Tenants(users); strings.Join(got, ",") != "tenant-A,tenant-B" {
		t.Errorf("Tenants = %v", got)
	}
}

func TestParseUsersProblems(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		tenants []string
		want    []string // every problem, in order
	}{
		{
			name: "every problem is reported with its line",
			in: "username,email,tenant\n" +
				"alice,alice@example.com,tenant-A\n" + // 2 ok
				"ALICE,alice2@example.com,tenant-A\n" + // 3 dup
				"carol,not-an-email,tenant-A\n" + // 4
				"dave,dave@example.com,tenant-C\n" + // 5 unknown tenant
				"eve,eve@example.com\n" + // 6 columns
				",x@example.com,tenant-A\n" + // 7 empty username
				"frank,,tenant-B\n" + // 8 empty email
				"grace,grace@example.com,\n" + // 9 empty tenant
				"h ank,hank@example.com,tenant-A\n" + // 10 charset
				"ivy,ivy@example.com,tenant/A\n" + // 11 bad tenant id
				"jo,jo@example.com,tenant-B,extra\n", // 12 columns
			tenants: stackTenants,
			want: []string{
				`line 3: duplicate username "ALICE" (first on line 2`,
				`line 4: malformed email "not-an-email"`,
				`line 5: unknown tenant "tenant-C" (the stack has: tenant-A, tenant-B)`,
				`line 6: want 3 columns (username,email,tenant), got 2`,
				`line 7: empty username`,
				`line 8: empty email`,
				`line 9: empty tenant`,
				`line 10: invalid username "h ank"`,
				`line 11: invalid tenant id "tenant/A"`,
				`line 12: want 3 columns (username,email,tenant), got 4`,
			},
		},
		{
			name: "wrong header",
			in:   "user,mail,tenant\nalice,alice@example.com,tenant-A\n",
			want: []string{`line 1: header must be exactly "username,email,tenant", got "user,mail,tenant"`},
		},
		{
			name:    "missing header: the first data line is also checked",
			in:      "alice,alice@example.com,tenant-X\n",
			tenants: stackTenants,
			want:    []string{`line 1: header must be exactly`, `line 1: unknown tenant "tenant-X"`},
		},
		{name: "empty file", in: "", want: []string{"empty file"}},
		{name: "header only", in: "username,email,tenant\n", want: []string{"no users after the header"}},
		{
			name: "unknown tenants not checked without a tenant list",
			in:   "username,email,tenant\nalice,alice@example,tenant-Z\n",
			want: []string{`line 2: malformed email "alice@example"`},
		},
		{
			name: "email with display name",
			in:   "username,email,tenant\nalice,Alice <alice@example.com>,tenant-A\n",
			want: []string{`line 2: malformed email`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := ParseUsers("users.csv", []byte(tt.in), tt.tenants)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v (users %v), want *ValidationError", err, users)
			}
			if users != nil {
				t.Errorf("users = %v, want nil on error", users)
			}
			if len(ve.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ve.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				if got := ve.Problems[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d = %q, want prefix %q", i, got, w)
				}
			}
			if !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("error does not say nothing was changed: %v", err)
			}
		})
	}
}

func FuzzParseUsers(f *testing.F) {
	f.Add([]byte("username,email,tenant\nalice,alice@example.com,tenant-A\n"))
	f.Add([]byte("username,email,tenant\n,,\n\"a\",b,c\n"))
	f.Add([]byte("\xef\xbb\xbf\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := ParseUsers("f.csv", data, stackTenants)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		if len(users) == 0 {
			t.Fatal("no error and no users")
		}
		seen := map[string]bool{}
		for _, u := range users {
			k := strings.ToLower(u.Username)
			if seen[k] || !usernamePattern.MatchString(u.Username) || !validEmail(u.Email) ||
				(u.Tenant != "tenant-A" && u.Tenant != "tenant-B") {
				t.Fatalf("invalid user accepted: %+v", u)
			}
			seen[k] = true
		}
	})
}
