package localmode

import (
	"fmt"
	"io"
	"strings"
)

// printBanner prints the addresses, the demo users and ready-to-paste curl
// lines. It never prints a password or a token: the lines fetch the token
// into a shell variable.
func printBanner(w io.Writer, repoRoot string, st State, usersFile string) {
	r := func(p string) string { return shellQuote(rel(repoRoot, p)) }
	tenants := st.Tenants
	first := tenants[0]
	user := DemoUsername(first)
	crossTenant := ""
	if len(tenants) > 1 {
		crossTenant = fmt.Sprintf("\n  curl --cacert %s -i -H \"Authorization: Bearer $TOKEN\" '%s/%s/'  # another tenant's path: 401",
			r(st.CACert), st.BaseURL, tenants[1])
	}
	fmt.Fprintf(w, `
Local tenant routing is up. Everything below is served from the synthesized template.
  HTTPS listener (443)  %s
  HTTP listener  (80)   %s  (redirects to HTTPS)
  cognito-local         %s   issuer %s
  app client id         %s
  tenants               %s
  users                 %s (passwords: %s, mode 0600)

Paste into a shell at the repository root:
  export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=%s AWS_REGION=%s
  TOKEN=$(%s/get-token --client-id %s --username %s --passwords-file %s)
  curl --cacert %s -H "Authorization: Bearer $TOKEN" '%s/%s/orders/7?x=1'
  curl --cacert %s -i '%s/%s/'                                   # no token: 401%s
  curl -i '%s/%s/'                                               # HTTP: 301 to HTTPS

The smoke matrix against this system:
  scripts/smoke.sh --base-url %s --http-url %s --cacert %s \
    --users %s --passwords-file %s --client-id %s \
    --endpoint %s --region %s --bin-dir %s

Ctrl-C stops everything this command started.
`,
		st.BaseURL, st.HTTPURL, st.CognitoURL, st.Issuer, st.ClientID, strings.Join(tenants, ", "),
		r(usersFile), r(st.PasswordsFile),
		st.CognitoURL, st.Region,
		r(st.BinDir), st.ClientID, user, r(st.PasswordsFile),
		r(st.CACert), st.BaseURL, first,
		r(st.CACert), st.BaseURL, first, crossTenant,
		st.HTTPURL, first,
		st.BaseURL, st.HTTPURL, r(st.CACert), r(usersFile), r(st.PasswordsFile), st.ClientID,
		st.CognitoURL, st.Region, r(st.BinDir),
	)
}

// shellQuote quotes a path for pasting into a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
