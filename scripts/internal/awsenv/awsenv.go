// Package awsenv loads AWS SDK configuration for the scripts/ tools and reads
// CloudFormation stack outputs. Stack names and output keys are in
// internal/contract; finding a deployment's cell stacks is scripts/internal/directory.
//
// Credentials, region and profile come from the SDK's standard chain
// (config.LoadDefaultConfig): environment, shared config/credentials files,
// SSO, IMDS, … The standard per-service endpoint variables work too, e.g.
// AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL_CLOUDFORMATION,
// AWS_ENDPOINT_URL_ACM, or AWS_ENDPOINT_URL for all services
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
package awsenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Flags are the common AWS flags of every tool.
type Flags struct {
	Region  string
	Profile string
}

// Register adds --region and --profile to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Region, "region", "", "AWS region (default: the SDK chain: AWS_REGION, profile, …)")
	fs.StringVar(&f.Profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or default)")
}

// MaxAttempts is the retry budget: the SDK's adaptive retryer (client-side
// rate limiting on throttling errors) with more attempts than the default 3,
// so bulk seeding rides out Cognito's per-account request rate quotas.
const MaxAttempts = 8

// Load returns the SDK config from the default chain with the flags applied.
func Load(ctx context.Context, f Flags) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = MaxAttempts
					so.MaxBackoff = 20 * time.Second
				})
			})
		}),
	}
	if f.Region != "" {
		opts = append(opts, config.WithRegion(f.Region))
	}
	if f.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: pass --region or set AWS_REGION (or a region in your profile)")
	}
	return cfg, nil
}

// DescribeStacksAPI is the part of the CloudFormation client StackOutputs uses.
type DescribeStacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// StackOutputs returns the outputs of stack as OutputKey -> OutputValue.
func StackOutputs(ctx context.Context, api DescribeStacksAPI, stack string) (map[string]string, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return nil, fmt.Errorf("describe stack %s: got %d stacks, want 1", stack, len(out.Stacks))
	}
	m := make(map[string]string, len(out.Stacks[0].Outputs))
	for _, o := range out.Stacks[0].Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m, nil
}

// Require returns outputs[key] or an error naming the stack and key.
func Require(outputs map[string]string, stack, key string) (string, error) {
	v, ok := outputs[key]
	if !ok || v == "" {
		keys := make([]string, 0, len(outputs))
		for k := range outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "", fmt.Errorf("stack %s has no output %q (outputs: %s)", stack, key, strings.Join(keys, ", "))
	}
	return v, nil
}

// SplitList splits a comma-separated list, trimming spaces and dropping empties.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
