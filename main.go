// Command alb-jwt-tenant-routing is the CDK app: it reads the configuration
// from the CDK context and the tenants file, builds the tenant handler for
// linux/arm64, defines the shared stack and one stack per cell, applies
// cdk-nag and synthesizes.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/stacks"
)

// handlerPackage is the tenant Lambda's main package; handlerOutDir receives
// its bootstrap (gitignored).
const (
	handlerPackage = "./lambda"
	handlerOutDir  = ".build/lambda"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	cfg, err := stacks.LoadConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		return err
	}
	if _, err := gobuild.Build(context.Background(), gobuild.Options{
		PackageDir: handlerPackage, OutDir: handlerOutDir, GOOS: "linux", GOARCH: "arm64",
	}); err != nil {
		return fmt.Errorf("build tenant handler: %w", err)
	}
	handler, err := stacks.NewHandlerAsset(handlerOutDir)
	if err != nil {
		return err
	}
	shared, err := stacks.NewSharedStack(app, stacks.SharedStackProps{StackProps: awscdk.StackProps{Env: env()}, Config: cfg})
	if err != nil {
		return err
	}
	for _, cell := range cfg.Cells {
		if _, err := stacks.NewCellStack(app, stacks.CellStackProps{
			StackProps: awscdk.StackProps{Env: env()}, Config: cfg, Cell: cell, Shared: shared, Handler: handler,
		}); err != nil {
			return err
		}
	}
	stacks.ApplyNag(app)
	app.Synth(nil)
	return nil
}

// env pins the stacks to the CLI's default account/region when the CDK CLI
// provides them; otherwise they stay environment-agnostic.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}
