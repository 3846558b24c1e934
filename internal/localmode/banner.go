package localmode

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// bannerTenants is how many tenants of a cell the ready table names before
// it counts the rest.
const bannerTenants = 4

// printBanner prints the cells, the addresses, the demo users and
// ready-to-paste curl lines. It never prints a password or a token: the lines
// fetch the token into a shell variable.
func printBanner(w io.Writer, repoRoot string, st State) {
	r := func(p string) string { return shellQuote(rel(repoRoot, p)) }
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Local tenant routing is up. Everything below is served from the synthesized cloud assembly.")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CELL\tHTTPS URL\tHTTP URL (redirects)\tTENANTS")
	for _, c := range st.Cells {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Cell, c.BaseURL, c.HTTPURL, abbreviate(c.Tenants, bannerTenants))
	}
	tw.Flush()
	fmt.Fprintf(w, `  cognito-local  %s  issuer %s
  app client id  %s
  users          %s (passwords: %s, mode 0600)
  directory      %s (%s)
  logs           %s
`,
		st.CognitoURL, st.Issuer, st.ClientID, r(st.UsersFile), r(st.PasswordsFile),
		r(st.DirectoryTSV), r(st.DirectoryJSON), r(st.LogsDir))

	dir := directoryOf(st.Cells)
	if len(dir.Tenants) > 0 {
		first := dir.Tenants[0]
		firstCell := cellByID(st.Cells, first.Cell)
		crossTenant := ""
		if len(dir.Tenants) > 1 {
			crossTenant = fmt.Sprintf("\n  curl --cacert %s -i -H \"Authorization: Bearer $TOKEN\" '%s'  # another tenant's path: 401",
				r(st.CACert), dir.Tenants[1].URL)
		}
		fmt.Fprintf(w, `
Paste into a shell at the repository root:
  export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=%s AWS_REGION=%s
  TOKEN=$(%s/get-token --client-id %s --username %s --passwords-file %s)
  curl --cacert %s -H "Authorization: Bearer $TOKEN" '%sorders/7?x=1'
  curl --cacert %s -i '%s'                                   # no token: 401%s
  curl -i '%s/%s/'                                               # HTTP: 301 to HTTPS
`,
			st.CognitoURL, st.Region,
			r(st.BinDir), st.ClientID, DemoUsername(first.ID), r(st.PasswordsFile),
			r(st.CACert), first.URL,
			r(st.CACert), first.URL, crossTenant,
			firstCell.HTTPURL, first.ID)
	}
	fmt.Fprintf(w, "\nThe smoke matrix against this system (every cell, from the tenant directory):\n")
	fmt.Fprintf(w, "  scripts/smoke.sh --directory %s --cacert %s \\\n", r(st.DirectoryTSV), r(st.CACert))
	fmt.Fprintf(w, `    --users %s --passwords-file %s --client-id %s \
    --endpoint %s --region %s --bin-dir %s

Ctrl-C stops everything this command started.
`, r(st.UsersFile), r(st.PasswordsFile), st.ClientID, st.CognitoURL, st.Region, r(st.BinDir))
}

func cellByID(cells []CellState, id string) CellState {
	for _, c := range cells {
		if c.Cell == id {
			return c
		}
	}
	return CellState{}
}

// shellQuote quotes a path for pasting into a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
