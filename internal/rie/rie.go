// Package rie builds and runs the AWS Lambda Runtime Interface Emulator
// (github.com/aws/aws-lambda-runtime-interface-emulator, pinned in go.mod as a
// go tool) for Lambda functions, natively and without Docker: Instance is one
// emulator, Pool starts one per function on demand.
//
// Facts this package is built on (measured against the pinned emulator):
//   - One RIE process serves ONE invoke at a time; an overlapping invoke makes
//     the emulator panic and exit. An Instance therefore never sends a second
//     invoke before the first has been answered — not even when the caller of
//     the first has gone away (see Instance.Invoke).
//   - The invoke listener defaults to 0.0.0.0:8080 and the Runtime API to
//     127.0.0.1:9001; two instances on the same Runtime API port kill each
//     other. Start always binds both to explicit 127.0.0.1 ports.
//   - A function error comes back as HTTP 200 with an errorType/errorMessage
//     body; Invoke returns such payloads unchanged (the caller, e.g. the local
//     ALB, maps them to 502). Non-200 statuses and transport errors (dead
//     process) are returned as errors.
//   - AWS_LAMBDA_FUNCTION_TIMEOUT must be an integer number of seconds (RIE
//     panics otherwise); the environment of RIE is passed to the bootstrap.
//     RIE enforces that timeout itself, which bounds how long an abandoned
//     invoke keeps its emulator busy.
//   - RIE takes its own log level from LOG_LEVEL unless --log-level is given
//     and exits on an unknown level, so Start always passes --log-level.
//   - RIE writes its own log lines, "<date> [LEVEL] (rapid) ...", to stderr;
//     the function's stdout and stderr, framed by START/END/REPORT lines, go
//     to RIE's stdout.
//   - The bootstrap is started lazily, by the first invoke.
package rie

import (
	"context"
	"fmt"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
)

// EmulatorPackage is the import path of the pinned emulator command.
const EmulatorPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// InvokePath is the only invocation path the emulator serves.
const InvokePath = "/2015-03-31/functions/function/invocations"

// maxInvokeResponse bounds how much of a response Invoke reads. Lambda caps
// synchronous responses at 6 MB; the ALB caps them at 1 MB and must be able
// to see that a response is too large, so read a little more than 6 MB.
const maxInvokeResponse = 6<<20 + 1

// BuildEmulator builds the pinned RIE command into outPath. It must run inside
// this module (the version comes from go.mod's tool directive).
func BuildEmulator(ctx context.Context, outPath string) error {
	if err := gobuild.Tool(ctx, "", EmulatorPackage, outPath); err != nil {
		return fmt.Errorf("rie: %w", err)
	}
	return nil
}
