// Command get-token signs a user in with USER_PASSWORD_AUTH (InitiateAuth)
// and prints the access token (default) or the ID token (--token id) followed
// by a newline, and nothing else, on stdout.
//
// The password is never an argument: it comes from --password-stdin (first
// line of stdin), --passwords-file (JSON {"user":"pw"}, mode 0600), or the
// environment variable named by --password-env (default COGNITO_PASSWORD).
// The client id comes from --client-id or the stack output UserPoolClientId.
// InitiateAuth is an unauthenticated API, so no AWS credentials are needed
// when --client-id is given.
//
// Usage: TOKEN=$(go run ./scripts/get-token --username alice --passwords-file .local/passwords.json)
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/cli"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/passwords"
)

// DefaultPasswordEnv is the environment variable read when no other password
// source is given.
const DefaultPasswordEnv = "COGNITO_PASSWORD"

func main() {
	cli.Main(func(ctx context.Context) int {
		return run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	})
}

type options struct {
	aws           awsenv.Flags
	username      string
	clientID      string
	stack         string
	endpoint      string
	token         string
	passwordsFile string
	passwordStdin bool
	passwordEnv   string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o options
	fs := cli.NewFlagSet("get-token", stderr)
	o.aws.Register(fs)
	fs.StringVar(&o.username, "username", "", "user to sign in (required)")
	fs.StringVar(&o.clientID, "client-id", "", "app client id (default: stack output UserPoolClientId)")
	fs.StringVar(&o.stack, "stack", contract.DefaultStackName, "shared stack to read UserPoolClientId from")
	fs.StringVar(&o.endpoint, "endpoint", "", "Cognito endpoint URL (e.g. cognito-local); default: SDK resolution incl. AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
	fs.StringVar(&o.token, "token", "access", "token to print: access or id")
	fs.StringVar(&o.passwordsFile, "passwords-file", "", "JSON {\"user\":\"password\"} file (mode 0600) to look the password up in")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	fs.StringVar(&o.passwordEnv, "password-env", DefaultPasswordEnv, "environment variable holding the password (used when neither --password-stdin nor --passwords-file is given)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: get-token --username USER [--client-id ID | --stack NAME] [--token access|id] [--password-stdin | --passwords-file FILE | env "+DefaultPasswordEnv+"]")
		fs.PrintDefaults()
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if err := o.check(fs.NArg()); err != nil {
		fmt.Fprintln(stderr, "get-token:", err)
		return 2
	}
	password, err := o.password(getenv, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "get-token:", err)
		return 1
	}
	token, err := o.signIn(ctx, password)
	if err != nil {
		fmt.Fprintln(stderr, "get-token:", err)
		return 1
	}
	fmt.Fprintln(stdout, token)
	return 0
}

func (o *options) check(nargs int) error {
	switch {
	case nargs > 0:
		return errors.New("unexpected arguments (the password is never taken from arguments)")
	case o.username == "":
		return errors.New("--username is required")
	case o.token != "access" && o.token != "id":
		return fmt.Errorf("--token must be access or id, not %q", o.token)
	case o.passwordStdin && o.passwordsFile != "":
		return errors.New("use either --password-stdin or --passwords-file, not both")
	case o.clientID == "" && o.stack == "":
		return errors.New("pass --client-id or --stack")
	}
	return nil
}

func (o *options) password(getenv func(string) string, stdin io.Reader) (string, error) {
	switch {
	case o.passwordStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("empty password on stdin")
		}
		return pw, nil
	case o.passwordsFile != "":
		f, exists, err := passwords.Load(o.passwordsFile)
		if err != nil {
			return "", err
		}
		if !exists {
			return "", fmt.Errorf("passwords file %s does not exist", o.passwordsFile)
		}
		pw, ok := f[o.username]
		if !ok {
			return "", fmt.Errorf("no password for %q in %s", o.username, o.passwordsFile)
		}
		return pw, nil
	default:
		pw := getenv(o.passwordEnv)
		if pw == "" {
			return "", fmt.Errorf("no password: set %s, or use --password-stdin or --passwords-file", o.passwordEnv)
		}
		return pw, nil
	}
}

func (o *options) signIn(ctx context.Context, password string) (string, error) {
	cfg, err := awsenv.Load(ctx, o.aws)
	if err != nil {
		return "", err
	}
	clientID := o.clientID
	if clientID == "" {
		outputs, err := awsenv.StackOutputs(ctx, cloudformation.NewFromConfig(cfg), o.stack)
		if err != nil {
			return "", err
		}
		if clientID, err = awsenv.Require(outputs, o.stack, contract.OutUserPoolClientID); err != nil {
			return "", err
		}
	}
	client := cip.NewFromConfig(cfg, func(co *cip.Options) {
		if o.endpoint != "" {
			co.BaseEndpoint = aws.String(o.endpoint)
		}
	})
	out, err := client.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": o.username, "PASSWORD": password},
	})
	if err != nil {
		// SDK errors name the operation and the service's message, never the request parameters.
		return "", fmt.Errorf("sign in %s: %w", o.username, err)
	}
	if out.ChallengeName != "" {
		return "", fmt.Errorf("sign in %s: Cognito asks for challenge %s (run seed-users to set a permanent password)", o.username, out.ChallengeName)
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("sign in %s: no tokens in the response", o.username)
	}
	token := aws.ToString(out.AuthenticationResult.AccessToken)
	if o.token == "id" {
		token = aws.ToString(out.AuthenticationResult.IdToken)
	}
	if token == "" {
		return "", fmt.Errorf("sign in %s: empty %s token", o.username, o.token)
	}
	return token, nil
}
