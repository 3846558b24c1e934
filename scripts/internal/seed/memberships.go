package seed

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// MembersAPI is the part of the Cognito client ExportMemberships uses.
type MembersAPI interface {
	ListUsersInGroup(context.Context, *cip.ListUsersInGroupInput, ...func(*cip.Options)) (*cip.ListUsersInGroupOutput, error)
}

// ExportMemberships lists every member of every tenant group of the pool as
// users-file entries (username, email, tenant), sorted by tenant then
// username. Written with FormatUsers, the result is a users file that the
// normal seed path restores: existing users keep their passwords, and each is
// added back to its tenant's group. A user in two tenant groups, or without
// an email, is an error (the file could not say which tenant is right).
func ExportMemberships(ctx context.Context, api MembersAPI, poolID string, tenants []string) ([]User, error) {
	var users []User
	seen := map[string]string{} // lower-case username -> tenant
	var problems []string
	for _, tenant := range tenants {
		var token *string
		for {
			out, err := api.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{
				UserPoolId: aws.String(poolID), GroupName: aws.String(tenant), Limit: aws.Int32(60), NextToken: token,
			})
			if err != nil {
				return nil, fmt.Errorf("list members of group %s: %w", tenant, err)
			}
			for _, u := range out.Users {
				name := aws.ToString(u.Username)
				email := ""
				for _, a := range u.Attributes {
					if aws.ToString(a.Name) == "email" {
						email = aws.ToString(a.Value)
					}
				}
				if other, dup := seen[strings.ToLower(name)]; dup {
					problems = append(problems, fmt.Sprintf("user %s is in two tenant groups, %s and %s: remove one membership, then export again", name, other, tenant))
					continue
				}
				seen[strings.ToLower(name)] = tenant
				if email == "" {
					problems = append(problems, fmt.Sprintf("user %s (group %s) has no email attribute: set one, then export again", name, tenant))
					continue
				}
				users = append(users, User{Username: name, Email: email, Tenant: tenant})
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			token = out.NextToken
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%d problem(s), nothing was written:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	sort.SliceStable(users, func(i, j int) bool {
		if users[i].Tenant != users[j].Tenant {
			return users[i].Tenant < users[j].Tenant
		}
		return users[i].Username < users[j].Username
	})
	return users, nil
}

// FormatUsers writes users as a users file (header and one line per user).
func FormatUsers(users []User) []byte {
	var b strings.Builder
	b.WriteString(Header + "\n")
	for _, u := range users {
		fmt.Fprintf(&b, "%s,%s,%s\n", u.Username, u.Email, u.Tenant)
	}
	return []byte(b.String())
}

// FirstUserPerTenant returns, for each tenant in first-seen order, the first
// user of that tenant.
func FirstUserPerTenant(users []User) []User {
	seen := map[string]bool{}
	var out []User
	for _, u := range users {
		if !seen[u.Tenant] {
			seen[u.Tenant] = true
			out = append(out, u)
		}
	}
	return out
}
