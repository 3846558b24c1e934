package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ApplyNag adds the cdk-nag AwsSolutions pack to scope (the app in main and in
// tests): it visits every stack, nested stacks included. Findings become
// error/warning annotations.
func ApplyNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppress records a cdk-nag suppression on one resource (and its children),
// next to the code that creates it. reason must be true and specific.
func suppress(c constructs.IConstruct, ruleID, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String(ruleID),
		Reason: jsii.String(reason),
	}}, jsii.Bool(true))
}
