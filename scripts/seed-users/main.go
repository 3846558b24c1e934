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
// Usage: go run ./scripts/seed-users --users scripts/demo-users.csv --passwords-file .local/passwords.json
// See scripts/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/seed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
}

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("seed-users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.aws.Register(fs)
	fs.StringVar(&o.users, "users", "", "users CSV with header username,email,tenant (required)")
	fs.StringVar(&o.stack, "stack", awsenv.DefaultStack, "CloudFormation stack to read UserPoolId and TenantIds from")
	fs.StringVar(&o.userPoolID, "user-pool-id", "", "user pool id (overrides the stack output UserPoolId)")
	fs.StringVar(&o.tenants, "tenants", "", "comma-separated tenant ids (overrides the stack output TenantIds)")
	fs.StringVar(&o.endpoint, "endpoint", "", "Cognito endpoint URL (e.g. cognito-local); default: SDK resolution incl. AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
	fs.StringVar(&o.passwordsFile, "passwords-file", "", "JSON {\"user\":\"password\"} file, mode 0600; missing passwords are generated and saved")
	fs.StringVar(&o.passwordEnv, "password-env", "", "name of an environment variable holding one password for all users")
	fs.BoolVar(&o.resetPasswords, "reset-passwords", false, "also set the password of existing confirmed users (default: leave them alone)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "users processed in parallel")
	fs.BoolVar(&o.dryRun, "dry-run", false, "validate and show what would change (read-only calls only)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: seed-users --users FILE (--passwords-file FILE | --password-env VAR) [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if err := o.check(fs.NArg()); err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitUsage
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
		if knownTenants == nil {
			fmt.Fprintln(stderr, "seed-users: (tenant ids were not yet checked against the stack; pass --tenants to check them offline)")
		}
		return exitFailure
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
	cfg, err := awsenv.Load(ctx, o.aws)
	if err != nil {
		fmt.Fprintln(stderr, "seed-users:", err)
		return exitFailure
	}
	poolID := o.userPoolID
	if poolID == "" || knownTenants == nil {
		outputs, err := awsenv.StackOutputs(ctx, cloudformation.NewFromConfig(cfg), o.stack)
		if err != nil {
			fmt.Fprintln(stderr, "seed-users:", err)
			return exitFailure
		}
		if poolID == "" {
			if poolID, err = awsenv.Require(outputs, o.stack, contract.OutUserPoolID); err != nil {
				fmt.Fprintln(stderr, "seed-users:", err)
				return exitFailure
			}
		}
		if knownTenants == nil {
			list, err := awsenv.Require(outputs, o.stack, contract.OutTenantIDs)
			if err != nil {
				fmt.Fprintln(stderr, "seed-users:", err)
				return exitFailure
			}
			knownTenants = awsenv.SplitList(list)
			if users, err = seed.ParseUsers(o.users, data, knownTenants); err != nil {
				fmt.Fprintln(stderr, "seed-users:", err)
				return exitFailure
			}
		}
	}

	// 4. Seed.
	client := cip.NewFromConfig(cfg, func(co *cip.Options) {
		if o.endpoint != "" {
			co.BaseEndpoint = aws.String(o.endpoint)
		}
	})
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
	case o.users == "":
		return errors.New("--users is required")
	case o.passwordsFile != "" && o.passwordEnv != "":
		return errors.New("use either --passwords-file or --password-env, not both")
	case o.passwordsFile == "" && o.passwordEnv == "":
		return errors.New("one of --passwords-file or --password-env is required")
	case o.concurrency < 1 || o.concurrency > 64:
		return errors.New("--concurrency must be between 1 and 64")
	case o.stack == "" && (o.userPoolID == "" || o.tenants == ""):
		return errors.New("--stack is empty: pass --user-pool-id and --tenants")
	}
	return nil
}
