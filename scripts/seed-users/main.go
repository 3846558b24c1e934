// Command seed-users creates the users of a users CSV (username,email,tenant)
// in the stack's Cognito user pool, idempotently: each user is created with
// its email verified and no welcome message, added to its tenant's group and
// given a permanent password. A re-run changes nothing and reports each user
// "unchanged"; a user missing its group or password gets it ("updated").
//
// The whole file is validated first; bad input is reported with line numbers
// and nothing is called. Groups are never created (they belong to the stack).
// Passwords never appear in arguments or output: they come from a 0600
// passwords file (missing ones are generated and saved before any change) or
// from one environment variable.
//
// The user pool id comes from the shared stack's UserPoolId output and the
// tenant ids from every cell stack's TenantIds output (the cell stacks are
// found by listing the stacks named <stack>-Cell-*; a shared stack that still
// has a TenantIds output, from before cells, counts too).
//
// Two more modes:
//   - --list-tenant-users prints "<tenant>\t<username>" for the first user of
//     each tenant of --users (validated by the same parser), and calls nothing:
//     scripts/smoke.sh reads the users file through it.
//   - --export-memberships FILE writes a users file with every member of every
//     tenant group (username,email,tenant), to restore memberships with a
//     normal seed run after the groups were recreated (the upgrade to cells).
//
// Usage: go run ./scripts/seed-users --users scripts/demo-users.csv --passwords-file .local/passwords.json
//
//	go run ./scripts/seed-users --users FILE --list-tenant-users
//	go run ./scripts/seed-users --export-memberships memberships.csv [--stack NAME]
//
// See scripts/README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/cli"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/directory"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/seed"
)

func main() {
	cli.Main(func(ctx context.Context) int {
		return run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	})
}

type options struct {
	aws            awsenv.Flags
	users          string
	stack          string
	userPoolID     string
	tenants        string
	endpoint       string
	passwordsFile  string
	passwordEnv    string
	resetPasswords bool
	concurrency    int
	dryRun         bool
	listTenants    bool
	exportFile     string
}

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o options
	fs := cli.NewFlagSet("seed-users", stderr)
	o.aws.Register(fs)
	fs.StringVar(&o.users, "users", "", "users CSV with header username,email,tenant (required)")
	fs.StringVar(&o.stack, "stack", contract.DefaultStackName, "shared stack of the deployment: UserPoolId from it, TenantIds from its cell stacks <stack>-Cell-*")
	fs.StringVar(&o.userPoolID, "user-pool-id", "", "user pool id (overrides the stack output UserPoolId)")
	fs.StringVar(&o.tenants, "tenants", "", "comma-separated tenant ids (overrides the stack output TenantIds)")
	fs.StringVar(&o.endpoint, "endpoint", "", "Cognito endpoint URL (e.g. cognito-local); default: SDK resolution incl. AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
	fs.StringVar(&o.passwordsFile, "passwords-file", "", "JSON {\"user\":\"password\"} file, mode 0600; missing passwords are generated and saved")
	fs.StringVar(&o.passwordEnv, "password-env", "", "name of an environment variable holding one password for all users")
	fs.BoolVar(&o.resetPasswords, "reset-passwords", false, "also set the password of existing confirmed users (default: leave them alone)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "users processed in parallel")
	fs.BoolVar(&o.dryRun, "dry-run", false, "validate and show what would change (read-only calls only)")
	fs.BoolVar(&o.listTenants, "list-tenant-users", false, "print TENANT<TAB>USERNAME for the first user of each tenant in --users, and exit (no AWS call)")
	fs.StringVar(&o.exportFile, "export-memberships", "", "write every member of every tenant group to this new users file (never overwritten), and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: seed-users --users FILE (--passwords-file FILE | --password-env VAR) [flags]")
		fmt.Fprintln(stderr, "       seed-users --users FILE --list-tenant-users")
		fmt.Fprintln(stderr, "       seed-users --export-memberships FILE [--stack NAME | --user-pool-id ID --tenants A,B]")
		fs.PrintDefaults()
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if err := o.check(fs.NArg()); err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitUsage
	}

	if o.exportFile != "" {
		return exportMemberships(ctx, o, stdout, stderr)
	}

	// 1. Validate the file before anything else: bad input makes no calls.
	data, err := os.ReadFile(o.users)
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	var knownTenants []string
	if o.tenants != "" {
		knownTenants = awsenv.SplitList(o.tenants)
	}
	users, err := seed.ParseUsers(o.users, data, knownTenants)
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		if knownTenants == nil && !o.listTenants {
			fmt.Fprintln(stderr, "seed-users: (tenant ids were not yet checked against the stack; pass --tenants to check them offline)")
		}
		return exitFailure
	}
	if o.listTenants {
		for _, u := range seed.FirstUserPerTenant(users) {
			fmt.Fprintf(stdout, "%s\t%s\n", u.Tenant, u.Username)
		}
		return exitOK
	}

	// 2. The password source, also before any call.
	var pw seed.PasswordSource
	var filePW *seed.FilePasswords
	if o.passwordsFile != "" {
		filePW, err = seed.LoadFilePasswords(o.passwordsFile)
		if err != nil {
			fmt.Fprintln(stderr, "seed-users:", err)
			return exitFailure
		}
		pw = filePW
	} else {
		v := getenv(o.passwordEnv)
		if v == "" {
			fmt.Fprintf(stderr, "seed-users: environment variable %s is empty or unset\n", o.passwordEnv)
			return exitFailure
		}
		pw = seed.SharedPassword(v)
	}

	// 3. AWS config and stack outputs (read-only).
	client, poolID, tenants, err := connect(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	if knownTenants == nil {
		knownTenants = tenants
		if users, err = seed.ParseUsers(o.users, data, knownTenants); err != nil {
			fmt.Fprintln(stderr, "seed-users:", err)
			return exitFailure
		}
	}

	// 4. Seed.
	_, summary, err := seed.Run(ctx, client, users, seed.Options{
		UserPoolID:     poolID,
		StackTenants:   knownTenants,
		Passwords:      pw,
		ResetPasswords: o.resetPasswords,
		Concurrency:    o.concurrency,
		DryRun:         o.dryRun,
		Progress:       stdout,
	})
	if filePW != nil && len(filePW.Added) > 0 {
		fmt.Fprintf(stderr, "seed-users: generated passwords for %s in %s\n", strings.Join(filePW.Added, ", "), o.passwordsFile)
	}
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	fmt.Fprintln(stdout, summary)
	if summary.Failed > 0 {
		fmt.Fprintln(stderr, "seed-users: some users failed; fix the cause and re-run (a re-run finishes the job)")
		return exitFailure
	}
	return exitOK
}

func (o *options) check(nargs int) error {
	switch {
	case nargs > 0:
		return errors.New("unexpected arguments (passwords are never taken from arguments)")
	case o.exportFile != "" && (o.users != "" || o.listTenants || o.passwordsFile != "" || o.passwordEnv != "" || o.resetPasswords || o.dryRun):
		return errors.New("--export-memberships takes no --users, password or seeding flags")
	case o.exportFile != "":
	case o.users == "":
		return errors.New("--users is required")
	case o.listTenants:
	case o.passwordsFile != "" && o.passwordEnv != "":
		return errors.New("use either --passwords-file or --password-env, not both")
	case o.passwordsFile == "" && o.passwordEnv == "":
		return errors.New("one of --passwords-file or --password-env is required")
	case o.concurrency < 1 || o.concurrency > 64:
		return errors.New("--concurrency must be between 1 and 64")
	}
	if o.stack == "" && (o.userPoolID == "" || o.tenants == "") && !o.listTenants {
		return errors.New("--stack is empty: pass --user-pool-id and --tenants")
	}
	return nil
}

// connect loads the AWS config and returns the Cognito client (at --endpoint
// when given), the user pool id and the deployment's tenant ids.
func connect(ctx context.Context, o options) (*cip.Client, string, []string, error) {
	cfg, err := awsenv.Load(ctx, o.aws)
	if err != nil {
		return nil, "", nil, err
	}
	poolID, tenants, err := poolAndTenants(ctx, cfg, o)
	if err != nil {
		return nil, "", nil, err
	}
	client := cip.NewFromConfig(cfg, func(co *cip.Options) {
		if o.endpoint != "" {
			co.BaseEndpoint = aws.String(o.endpoint)
		}
	})
	return client, poolID, tenants, nil
}

// poolAndTenants returns the user pool id (--user-pool-id, else the shared
// stack's UserPoolId) and the deployment's tenant ids (--tenants, else every
// cell stack's TenantIds, plus the shared stack's own TenantIds from before
// cells). It lists the stacks only when a flag does not give the answer.
func poolAndTenants(ctx context.Context, cfg aws.Config, o options) (string, []string, error) {
	poolID := o.userPoolID
	var tenants []string
	if o.tenants != "" {
		tenants = awsenv.SplitList(o.tenants)
	}
	if poolID != "" && tenants != nil {
		return poolID, tenants, nil
	}
	d, err := directory.Find(ctx, cloudformation.NewFromConfig(cfg), o.stack)
	if err != nil {
		return "", nil, err
	}
	if d.Shared == nil {
		return "", nil, fmt.Errorf("stack %s not found in %s (pass --stack, --region or --profile)", o.stack, cfg.Region)
	}
	if poolID == "" {
		if poolID, err = awsenv.Require(d.Shared.Outputs, o.stack, contract.OutUserPoolID); err != nil {
			return "", nil, err
		}
	}
	if tenants == nil {
		tenants = d.Tenants()
		if len(tenants) == 0 {
			return "", nil, fmt.Errorf("no tenants: no cell stack %s* lists any (output %s)", contract.CellStackPrefix(o.stack), contract.OutTenantIDs)
		}
	}
	return poolID, tenants, nil
}

// exportMemberships writes every member of every tenant group to a new users
// file (mode 0600: it holds email addresses). An existing file is never
// overwritten, so a run after the groups were recreated empty cannot replace
// the saved memberships.
func exportMemberships(ctx context.Context, o options, stdout, stderr io.Writer) int {
	if _, err := os.Lstat(o.exportFile); err == nil {
		fmt.Fprintf(stderr, "seed-users: %s exists: it is never overwritten (it may hold the only copy of the memberships); choose another file\n", o.exportFile)
		return exitFailure
	}
	client, poolID, tenants, err := connect(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	users, err := seed.ExportMemberships(ctx, client, poolID, tenants)
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	if len(users) == 0 {
		fmt.Fprintf(stderr, "seed-users: the tenant groups of user pool %s have no members: nothing to save (were the groups already recreated?)\n", poolID)
		return exitFailure
	}
	if err := writeNew(o.exportFile, seed.FormatUsers(users)); err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	perTenant := map[string]int{}
	for _, u := range users {
		perTenant[u.Tenant]++
	}
	for _, t := range tenants {
		fmt.Fprintf(stdout, "%s %d member(s)\n", t, perTenant[t])
	}
	fmt.Fprintf(stdout, "saved %d membership(s) of %d tenant(s) to %s\n", len(users), len(tenants), o.exportFile)
	return exitOK
}

// writeNew writes data to path, mode 0600, atomically, failing if path exists.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// A hard link never replaces an existing file: the no-clobber rename.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
