package e2e

import (
	"strings"
	"testing"
)

// todaysNoise is what `make local` printed before it was ready, before the
// console belonged to local mode (abridged from a run).
const todaysNoise = `[  0.0s] synthesizing the CDK app (cdk synth)
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  Node 20 is end-of-life and not supported anymore by this software since 2026-10-30.  !!
(node:3664) NOTE: The AWS SDK for JavaScript (v2) has reached end-of-support.
[1796223698788] ` + "\x1b[32mINFO\x1b[39m" + `: NONE NONE Cognito Local running on http://127.0.0.1:19229
[1796223698926] ` + "\x1b[33mWARN\x1b[39m" + `: 75b522e0 NONE Error handling target: AdminGetUser
          Error: User does not exist.
              at /work/main/tools/node/node_modules/cognito-local/lib/targets/adminGetUser.js:29:11
02 Dec 2026 15:01:39,074 [INFO] (rapid) exec '/tmp/lb/work/build/lambda/bootstrap' (cwd=/work/wt/local, handler=)
REPORT RequestId: 581890b0	Init Duration: 0.07 ms	Duration: 51.71 ms
`

// The positive control of the quiet-start assertion: every kind of noise the
// console had is caught, and the console local mode prints now is not.
func TestConsoleNoiseDetector(t *testing.T) {
	bad := consoleNoise(todaysNoise)
	if len(bad) != 9 {
		t.Errorf("caught %d noise lines, want 9 (all but the progress line):\n%s", len(bad), strings.Join(bad, "\n"))
	}
	quiet := `[  0.0s] building the seed and token tools, the tenant handler and the Lambda runtime emulator
[  3.1s] synthesizing the CDK app (log: .local/logs/synth.log)
[ 40.2s] ready

Local tenant routing is up. Everything below is served from the synthesized template.
  CELL  HTTPS URL               HTTP URL (redirects)   TENANTS
  1     https://127.0.0.1:8443  http://127.0.0.1:8080  tenant-A, tenant-B
  GET /tenant-A/x -> tenant-A (priority 10) 200 62.8 ms
[tenant-A] {"time":"2026-12-02T15:02:01Z","level":"INFO","msg":"request","tenant":"tenant-A","status":200}
`
	if bad := consoleNoise(quiet); len(bad) > 0 {
		t.Errorf("flags local mode's own lines: %q", bad)
	}
}
