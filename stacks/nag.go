package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ApplyNag adds the cdk-nag AwsSolutions pack to scope (the app in main, the
// stack's app in tests). Findings become error/warning annotations.
func ApplyNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsiiTrue()}), nil)
}

// suppress records a cdk-nag suppression on one resource (and its children),
// next to the code that creates it. reason must be true and specific.
func suppress(c constructs.IConstruct, ruleID, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id:     str(ruleID),
		Reason: str(reason),
	}}, jsiiTrue())
}

func jsiiTrue() *bool { t := true; return &t }
