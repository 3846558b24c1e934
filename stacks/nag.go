package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ApplyNag adds the cdk-nag AwsSolutions pack to scope (the app in main and in
// tests): it visits every stack, nested stacks included. Findings become
// error/warning annotations in the cloud assembly (`cdk synth` prints them
// and fails on errors; the tests read them from the assembly).
//
// No compliance report files: cdk-nag's report logger appends to one CSV per
// stack for every rule it evaluates and looks the file up in a list of every
// report so far, which made it about a third of the synthesis time of 1,000
// tenants (1,000 nested stacks) while adding nothing the annotations do not
// say (see scripts/bench.sh).
func ApplyNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		Reports: jsii.Bool(false),
	}), nil)
}

// suppress records a cdk-nag suppression on one resource (and its children),
// next to the code that creates it. reason must be true and specific.
func suppress(c constructs.IConstruct, ruleID, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String(ruleID),
		Reason: jsii.String(reason),
	}}, jsii.Bool(true))
}
