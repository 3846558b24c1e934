package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// identity is the Cognito side: user pool, SPA client and the token issuer.
type identity struct {
	UserPool awscognito.UserPool
	Client   awscognito.UserPoolClient
	// ClientID is the app client id (read once: each jsii call costs).
	ClientID *string
	// Issuer is contract.IssuerURL(region, poolId), the iss claim.
	Issuer *string
	// JwksEndpoint is contract.JWKSURL(Issuer).
	JwksEndpoint *string
}

type identityProps struct {
	RemovalPolicy RemovalPolicy
	// AccessTokenValidityMinutes is how long an access token stays valid at
	// the ALB; a token cannot be revoked there before it expires.
	AccessTokenValidityMinutes int
}

// Longest renderings of the issuer's tokens, for the synth-time length checks
// of the jwt-validation action (validateJwtValidation).
const (
	// maxRegionLen bounds an AWS region name: the longest today is
	// "us-isof-southeast-1" (19); 25 leaves room for new ones.
	maxRegionLen = 25
	// maxUserPoolIDLen is the maximum length of a Cognito UserPoolId
	// (Cognito API reference, UserPoolType.Id: 1 to 55 characters).
	maxUserPoolIDLen = 55
)

// longestIssuer is the longest issuer the pool can have, with the region and
// pool id at their maximum lengths.
func longestIssuer() string {
	return contract.IssuerURL(strings.Repeat("r", maxRegionLen), strings.Repeat("p", maxUserPoolIDLen))
}

func newIdentity(scope constructs.Construct, id string, props identityProps) *identity {
	c := constructs.NewConstruct(scope, jsii.String(id))
	removal := awscdk.RemovalPolicy_RETAIN
	if props.RemovalPolicy == RemovalDestroy {
		removal = awscdk.RemovalPolicy_DESTROY
	}
	pool := awscognito.NewUserPool(c, jsii.String("UserPool"), &awscognito.UserPoolProps{
		SelfSignUpEnabled:   jsii.Bool(false), // users are created by an administrator (scripts/seed-users)
		SignInAliases:       &awscognito.SignInAliases{Username: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(false), Mutable: jsii.Bool(true)},
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(12),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		FeaturePlan:     awscognito.FeaturePlan_ESSENTIALS,
		RemovalPolicy:   removal,
	})
	suppress(pool, "AwsSolutions-COG2",
		"MFA is not required: the demo users sign in non-interactively (USER_PASSWORD_AUTH from scripts); require TOTP MFA for real users")
	suppress(pool, "AwsSolutions-COG8",
		"Threat protection needs the Plus feature plan, which costs several times Essentials per monthly active user; this pool only issues access tokens with group claims")

	client := pool.AddClient(jsii.String("SpaClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false), // public SPA/CLI client: a secret could not be kept
		AuthFlows: &awscognito.AuthFlow{
			UserPassword: jsii.Bool(true),
			UserSrp:      jsii.Bool(true),
			// ALLOW_REFRESH_TOKEN_AUTH is always added by Cognito/CDK.
		},
		DisableOAuth:               jsii.Bool(true), // no hosted UI: tokens come from InitiateAuth
		AccessTokenValidity:        awscdk.Duration_Minutes(jsii.Number(float64(props.AccessTokenValidityMinutes))),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
	})

	// The issuer embeds the region and pool id tokens, so CDK renders it as an
	// Fn::Join that is right in whatever region the template is deployed.
	issuer := jsii.String(contract.IssuerURL(*awscdk.Aws_REGION(), *pool.UserPoolId()))
	jwks := jsii.String(contract.JWKSURL(*issuer))
	return &identity{UserPool: pool, Client: client, ClientID: client.UserPoolClientId(), Issuer: issuer, JwksEndpoint: jwks}
}
