// Package cltest provides test fixtures backed by a real cognito-local
// process: a started server plus a user pool, an app client and tenant groups
// created through aws-sdk-go-v2, the same way the deployed stack has them.
//
// When cognito-local is not installed the fixture skips the test, except under
// CI=true where it fails it: a test that silently skips in CI is a defect.
package cltest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/testutil"
)

// Region is the region the fixtures use for the SDK and the issuer.
const Region = "us-east-1"

// IssuerDomain makes cognito-local issue AWS-shaped iss claims.
const IssuerDomain = "https://cognito-idp." + Region + ".amazonaws.com"

// Config is the cognito-local config the project uses in local mode.
func Config() map[string]any { return cognitolocal.ProjectConfig(Region) }

// InCI reports whether CI=true, in which case missing tools fail tests.
//
// Deprecated: use testutil.InCI.
func InCI() bool { return testutil.InCI() }

// RequireTool skips (or, under CI=true, fails) the test with reason.
//
// Deprecated: use testutil.RequireTool (an executable) or testutil.Missing.
func RequireTool(t testing.TB, reason string) {
	t.Helper()
	testutil.Missing(t, reason)
}

// Binary returns the cognito-local executable or skips/fails the test.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := cognitolocal.FindBinary()
	if err != nil {
		testutil.Missing(t, "cognito-local unavailable: "+err.Error())
	}
	return bin
}

// StartServer starts cognito-local in a temp dir with Config() and stops it
// in t.Cleanup. Its output goes to cognito-local.log in that directory.
func StartServer(t testing.TB) *cognitolocal.Server {
	t.Helper()
	bin := Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	s, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: dir, Binary: bin, Config: Config(),
		LogFile: filepath.Join(dir, "cognito-local.log")})
	if err != nil {
		t.Fatalf("start cognito-local: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop cognito-local: %v", err)
		}
	})
	return s
}

// Fixture is a running cognito-local with one pool, one client and a group
// per tenant.
type Fixture struct {
	Server   *cognitolocal.Server
	Client   *cip.Client
	PoolID   string
	ClientID string
	Tenants  []string
}

// AWSConfig returns static local credentials for Region.
func AWSConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// NewClient returns a Cognito client for the server.
func NewClient(s *cognitolocal.Server) *cip.Client {
	return cip.NewFromConfig(AWSConfig(), func(o *cip.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

// New starts cognito-local and creates a pool, an app client without secret
// (USER_PASSWORD_AUTH + REFRESH_TOKEN_AUTH) and one group per tenant.
func New(t testing.TB, tenants ...string) *Fixture {
	t.Helper()
	s := StartServer(t)
	c := NewClient(s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("test-pool")})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("test-client"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{
			ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	for _, tenant := range tenants {
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(tenant)}); err != nil {
			t.Fatalf("CreateGroup %s: %v", tenant, err)
		}
	}
	return &Fixture{Server: s, Client: c, PoolID: poolID, ClientID: aws.ToString(cl.UserPoolClient.ClientId), Tenants: tenants}
}

// Env sets the standard local credentials/region env for code under test
// that uses config.LoadDefaultConfig (not parallel-safe: uses t.Setenv).
func Env(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Claims returns the payload of a JWT (not verified: the test got the token
// from cognito-local itself), failing the test when it is not one.
func Claims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Groups returns the cognito:groups claim of claims (nil when absent; an
// element that is not a string is "").
func Groups(claims map[string]any) []string {
	var out []string
	l, _ := claims["cognito:groups"].([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
