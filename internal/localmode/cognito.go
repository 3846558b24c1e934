package localmode

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal"
)

// PoolID returns the deterministic, AWS-shaped user pool id
// (`<region>_<9 alphanumerics>`) that local mode gives the template's pool, so
// that the issuer has exactly the deployed shape
// `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
func PoolID(region, stackName, poolLogicalID string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte(stackName + "/" + poolLogicalID))
	var b strings.Builder
	for _, c := range sum[:9] {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return region + "_" + b.String()
}

// poolOf is the template's user pool as cognito-local stores it, under the
// chosen id, with every tenant group: written before cognito-local starts
// (cognito-local's CreateUserPool cannot choose the id, and one file write
// is fast for 1,000 groups). The app client goes through the real API.
func poolOf(poolID string, id Identity) cognitolocal.Pool {
	options := map[string]any{"UsernameAttributes": []string{}, "MfaConfiguration": "OFF"}
	if len(id.PasswordPolicy) > 0 {
		options["Policies"] = map[string]any{"PasswordPolicy": id.PasswordPolicy}
	}
	return cognitolocal.Pool{ID: poolID, Name: firstNonEmpty(id.PoolName, id.PoolLogicalID), Options: options, Groups: id.Groups}
}

// newCognitoClient returns an SDK client bound to cognito-local. The static
// credentials are never checked by cognito-local; they exist only because the
// SDK signs admin calls.
func newCognitoClient(endpoint, region string) *cip.Client {
	return cip.New(cip.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// createClient creates the template's app client in cognito-local (the
// pool and its groups exist already: poolOf) and returns the client id.
func createClient(ctx context.Context, c *cip.Client, poolID string, id Identity) (string, error) {
	in := &cip.CreateUserPoolClientInput{
		UserPoolId:     aws.String(poolID),
		ClientName:     aws.String(firstNonEmpty(id.Client.Name, id.ClientLogicalID)),
		GenerateSecret: false,
	}
	for _, f := range id.Client.ExplicitAuthFlows {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, ciptypes.ExplicitAuthFlowsType(f))
	}
	if v := id.Client.AccessTokenValidity; v > 0 {
		in.AccessTokenValidity = aws.Int32(int32(v))
	}
	if v := id.Client.IDTokenValidity; v > 0 {
		in.IdTokenValidity = aws.Int32(int32(v))
	}
	if v := id.Client.RefreshTokenValidity; v > 0 {
		in.RefreshTokenValidity = int32(v)
	}
	if u := id.Client.TokenValidityUnits; len(u) > 0 {
		in.TokenValidityUnits = &ciptypes.TokenValidityUnitsType{
			AccessToken:  ciptypes.TimeUnitsType(firstNonEmpty(u["AccessToken"], "hours")),
			IdToken:      ciptypes.TimeUnitsType(firstNonEmpty(u["IdToken"], "hours")),
			RefreshToken: ciptypes.TimeUnitsType(firstNonEmpty(u["RefreshToken"], "days")),
		}
	}
	out, err := c.CreateUserPoolClient(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create app client %s: %w", id.ClientLogicalID, err)
	}
	return aws.ToString(out.UserPoolClient.ClientId), nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
