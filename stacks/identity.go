package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Identity is the Cognito side: user pool, SPA client and the token issuer.
type Identity struct {
	UserPool awscognito.UserPool
	Client   awscognito.UserPoolClient
	// Issuer is https://cognito-idp.<region>.amazonaws.com/<poolId> (the iss claim).
	Issuer *string
	// JwksEndpoint is <Issuer>/.well-known/jwks.json.
	JwksEndpoint *string
}

type identityProps struct {
	RemovalPolicy RemovalPolicy
}

func newIdentity(scope constructs.Construct, id string, props identityProps) *Identity {
	c := constructs.NewConstruct(scope, str(id))
	removal := awscdk.RemovalPolicy_RETAIN
	if props.RemovalPolicy == RemovalDestroy {
		removal = awscdk.RemovalPolicy_DESTROY
	}
	pool := awscognito.NewUserPool(c, str("UserPool"), &awscognito.UserPoolProps{
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

	client := pool.AddClient(str("SpaClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false), // public SPA/CLI client: a secret could not be kept
		AuthFlows: &awscognito.AuthFlow{
			UserPassword: jsii.Bool(true),
			UserSrp:      jsii.Bool(true),
			// ALLOW_REFRESH_TOKEN_AUTH is always added by Cognito/CDK.
		},
		DisableOAuth:               jsii.Bool(true), // no hosted UI: tokens come from InitiateAuth
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
	})

	// Issuer as Fn::Join so it is correct in whatever region the template is deployed.
	issuer := awscdk.Fn_Join(str(""), &[]*string{
		str("https://cognito-idp."), awscdk.Aws_REGION(), str(".amazonaws.com/"), pool.UserPoolId(),
	})
	jwks := awscdk.Fn_Join(str(""), &[]*string{
		str("https://cognito-idp."), awscdk.Aws_REGION(), str(".amazonaws.com/"), pool.UserPoolId(), str("/.well-known/jwks.json"),
	})
	return &Identity{UserPool: pool, Client: client, Issuer: issuer, JwksEndpoint: jwks}
}
