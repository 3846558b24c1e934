package localmode

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/gobuild"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
)

// Options configure one local run. Zero values get the documented defaults
// from Defaults().
type Options struct {
	RepoRoot    string // directory with cdk.json, lambda/ and scripts/
	WorkDir     string // state: cloud assembly, binaries, cognito data, certificate, passwords
	Region      string // region the intrinsics resolve to; also the issuer's region
	AccountID   string // account the intrinsics resolve to
	StackName   string // stack in the cloud assembly; empty = the only one
	HTTPSPort   int    // local port serving the template's HTTPS (443) listener
	HTTPPort    int    // local port serving the template's HTTP (80) listener
	CognitoPort int    // cognito-local port
	Template    string // use this synthesized template instead of running `cdk synth`
	UsersFile   string // users to seed; empty = one demo user per tenant
	Context     []string
	Out         io.Writer // human-readable progress and the ready banner
	Log         io.Writer // child process output and request log
}

// Defaults returns the documented defaults.
func Defaults() Options {
	return Options{
		WorkDir: ".local", Region: "us-east-1", AccountID: "000000000000",
		HTTPSPort: 8443, HTTPPort: 8080, CognitoPort: 9229,
	}
}

// State is written to <WorkDir>/state.json once the system is ready, so that
// scripts and tests can find every address without parsing the banner.
type State struct {
	BaseURL       string   `json:"baseUrl"`
	HTTPURL       string   `json:"httpUrl"`
	CACert        string   `json:"caCert"`
	CognitoURL    string   `json:"cognitoUrl"`
	Region        string   `json:"region"`
	UserPoolID    string   `json:"userPoolId"`
	ClientID      string   `json:"clientId"`
	Issuer        string   `json:"issuer"`
	Tenants       []string `json:"tenants"`
	UsersFile     string   `json:"usersFile"`
	PasswordsFile string   `json:"passwordsFile"`
	BinDir        string   `json:"binDir"`
	Template      string   `json:"template"`
}

// Run starts the whole system, prints the ready banner, and blocks until ctx
// is cancelled; then it stops everything it started, in reverse order.
func Run(ctx context.Context, o Options) (err error) {
	start := time.Now()
	o = withDefaults(o)
	step := func(format string, args ...any) {
		fmt.Fprintf(o.Out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	if err := checkPortsFree(map[string]int{"--https-port": o.HTTPSPort, "--http-port": o.HTTPPort, "--cognito-port": o.CognitoPort}); err != nil {
		return err
	}
	work, err := filepath.Abs(o.WorkDir)
	if err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	runDir := filepath.Join(work, "run") // per-run state, recreated at every start
	binDir := filepath.Join(work, "bin")
	if err := os.RemoveAll(runDir); err != nil {
		return fmt.Errorf("clean %s: %w", runDir, err)
	}
	for _, d := range []string{runDir, binDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}

	var stops []func() error
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			if e := stops[i](); e != nil && err == nil {
				err = fmt.Errorf("shutdown: %w", e)
			}
		}
	}()

	// Build the tools, the handler and the runtime emulator while the
	// template is synthesized.
	step("building seed/token tools, the tenant handler and the Lambda runtime emulator")
	buildCtx, cancelBuilds := context.WithCancel(ctx)
	defer cancelBuilds() // an early return kills a build still running
	builds := make(chan binaries, 1)
	go func() { builds <- buildBinaries(buildCtx, o.RepoRoot, work, binDir) }()

	// 1. The template: the same one `cdk deploy` would deploy.
	templatePath := o.Template
	if templatePath == "" {
		step("synthesizing the CDK app (cdk synth)")
		templatePath, err = Synthesize(ctx, SynthOptions{
			RepoRoot: o.RepoRoot, OutDir: filepath.Join(work, "cdk.out"),
			Context: o.Context, StackName: o.StackName, Log: o.Log,
		})
		if err != nil {
			return err
		}
	}
	templateJSON, err := os.ReadFile(templatePath)
	if err != nil {
		return fmt.Errorf("read template: %w", err)
	}
	identity, err := ReadIdentity(templateJSON)
	if err != nil {
		return fmt.Errorf("%s: %w", templatePath, err)
	}
	stackName := firstNonEmpty(o.StackName, strings.TrimSuffix(filepath.Base(templatePath), ".template.json"))
	step("template %s: %d tenant group(s) %v", rel(o.RepoRoot, templatePath), len(identity.Groups), identity.Groups)

	// The binaries do not depend on the template: they were built while it
	// was synthesized.
	bin := <-builds
	if bin.err != nil {
		return bin.err
	}
	bootstrap, emulator := bin.bootstrap, bin.emulator

	// 2. cognito-local with the template's pool, client and groups.
	poolID := PoolID(o.Region, stackName, identity.PoolLogicalID)
	cognitoDir := filepath.Join(runDir, "cognito")
	if err := writePoolFile(cognitoDir, poolID, identity); err != nil {
		return err
	}
	idp, err := cognitolocal.Start(ctx, cognitolocal.Options{
		Dir: cognitoDir, Host: "127.0.0.1", Port: o.CognitoPort, Config: cognitoConfig(o.Region),
		Stdout: o.Log, Stderr: o.Log,
	})
	if err != nil {
		return fmt.Errorf("start cognito-local: %w", err)
	}
	stops = append(stops, idp.Stop)
	clientID, err := provisionIdentity(ctx, newCognitoClient(idp.URL(), o.Region), poolID, identity)
	if err != nil {
		return err
	}
	issuer := "https://cognito-idp." + o.Region + ".amazonaws.com/" + poolID
	step("cognito-local on %s: pool %s, client %s, issuer %s", idp.URL(), poolID, clientID, issuer)

	// 3. Seed the users with the same tool an operator runs against AWS.
	usersFile := o.UsersFile
	if usersFile == "" {
		usersFile = filepath.Join(work, "users.csv")
		if err := writeDemoUsers(usersFile, identity.Groups); err != nil {
			return err
		}
	}
	passwordsFile := filepath.Join(work, "passwords.json")
	seedEnv := append(localAWSEnv(o.Region), "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="+idp.URL())
	if err := runTool(ctx, o.Log, seedEnv, filepath.Join(binDir, "seed-users"),
		"--users", usersFile, "--user-pool-id", poolID, "--tenants", strings.Join(identity.Groups, ","),
		"--passwords-file", passwordsFile); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	step("seeded the users in %s (passwords in %s, mode 0600)", rel(o.RepoRoot, usersFile), rel(o.RepoRoot, passwordsFile))

	// 4. The template, with intrinsics resolved to the local values.
	model, err := localalb.LoadTemplate(templateJSON, localalb.Resolver{
		Region: o.Region, AccountID: o.AccountID, Partition: "aws", StackName: stackName,
		Refs: map[string]string{identity.PoolLogicalID: poolID, identity.ClientLogicalID: clientID},
	})
	if err != nil {
		return fmt.Errorf("load template listeners and rules: %w", err)
	}

	// 5. One runtime emulator per Lambda target, with the template's environment.
	invokers := map[string]localalb.Invoker{}
	for _, fnID := range targetFunctions(model) {
		inst, err := rie.Start(ctx, rie.Options{
			Emulator: emulator, Bootstrap: bootstrap, Env: model.Functions[fnID].RuntimeEnv(o.Region),
			Stdout: o.Log, Stderr: o.Log,
		})
		if err != nil {
			return fmt.Errorf("start runtime emulator for %s: %w", fnID, err)
		}
		stops = append(stops, inst.Stop)
		invokers[fnID] = inst
	}
	step("started %d Lambda runtime emulator(s)", len(invokers))

	// 6. The local ALB, serving the template's listeners.
	cert, certPEM, err := localalb.SelfSignedCertificate(30 * 24 * time.Hour)
	if err != nil {
		return fmt.Errorf("create local certificate: %w", err)
	}
	caFile := filepath.Join(work, "alb-cert.pem")
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", caFile, err)
	}
	alb, err := localalb.New(model, localalb.Options{
		ListenerAddrs: map[int]string{
			443: net.JoinHostPort("127.0.0.1", strconv.Itoa(o.HTTPSPort)),
			80:  net.JoinHostPort("127.0.0.1", strconv.Itoa(o.HTTPPort)),
		},
		JWKSRewrites:   []localalb.PrefixRewrite{{From: "https://cognito-idp." + o.Region + ".amazonaws.com/", To: idp.URL() + "/"}},
		Invokers:       invokers,
		TLSCertificate: &cert,
		Logger:         slog.New(slog.NewTextHandler(o.Log, nil)),
	})
	if err != nil {
		return fmt.Errorf("configure local ALB: %w", err)
	}
	if err := alb.Start(); err != nil {
		return fmt.Errorf("start local ALB: %w", err)
	}
	stops = append(stops, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return alb.Shutdown(sctx)
	})

	st := State{
		BaseURL: fmt.Sprintf("https://127.0.0.1:%d", o.HTTPSPort), HTTPURL: fmt.Sprintf("http://127.0.0.1:%d", o.HTTPPort),
		CACert: caFile, CognitoURL: idp.URL(), Region: o.Region, UserPoolID: poolID, ClientID: clientID,
		Issuer: issuer, Tenants: identity.Groups, UsersFile: usersFile, PasswordsFile: passwordsFile,
		BinDir: binDir, Template: templatePath,
	}
	statePath := filepath.Join(work, "state.json")
	if err := writeState(statePath, st); err != nil {
		return err
	}
	stops = append(stops, func() error { return removeIfExists(statePath) })
	step("ready")
	printBanner(o.Out, o.RepoRoot, st, usersFile)
	<-ctx.Done()
	fmt.Fprintln(o.Out, "stopping: local ALB, runtime emulators, cognito-local")
	return nil
}

// binaries are what local mode builds: the operator tools, the handler for
// this machine's architecture (the deployed arm64 binary cannot run here) and
// the pinned runtime emulator.
type binaries struct {
	bootstrap, emulator string
	err                 error
}

func buildBinaries(ctx context.Context, repoRoot, work, binDir string) binaries {
	if err := goBuild(ctx, repoRoot, binDir, "./scripts/seed-users", "./scripts/get-token"); err != nil {
		return binaries{err: err}
	}
	bootstrap, err := gobuild.Build(ctx, gobuild.Options{
		PackageDir: filepath.Join(repoRoot, "lambda"), OutDir: filepath.Join(work, "build", "lambda"),
		GOOS: "linux", GOARCH: runtime.GOARCH,
	})
	if err != nil {
		return binaries{err: fmt.Errorf("build tenant handler: %w", err)}
	}
	emulator := filepath.Join(binDir, "aws-lambda-rie")
	if err := rie.BuildEmulator(ctx, emulator); err != nil {
		return binaries{err: fmt.Errorf("build Lambda runtime interface emulator: %w", err)}
	}
	return binaries{bootstrap: bootstrap, emulator: emulator}
}

func withDefaults(o Options) Options {
	d := Defaults()
	if o.WorkDir == "" {
		o.WorkDir = d.WorkDir
	}
	if o.Region == "" {
		o.Region = d.Region
	}
	if o.AccountID == "" {
		o.AccountID = d.AccountID
	}
	if o.HTTPSPort == 0 {
		o.HTTPSPort = d.HTTPSPort
	}
	if o.HTTPPort == 0 {
		o.HTTPPort = d.HTTPPort
	}
	if o.CognitoPort == 0 {
		o.CognitoPort = d.CognitoPort
	}
	if o.RepoRoot == "" {
		o.RepoRoot = "."
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if !hasContextKey(o.Context, "certificateArn") && !hasContextKey(o.Context, "domainName") {
		o.Context = append(o.Context, "certificateArn="+PlaceholderCertificateARN)
	}
	return o
}

func hasContextKey(kvs []string, key string) bool {
	for _, kv := range kvs {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// checkPortsFree fails fast, before anything starts, naming the flag that
// chose a busy port.
func checkPortsFree(ports map[string]int) error {
	flags := make([]string, 0, len(ports))
	for f := range ports {
		flags = append(flags, f)
	}
	sort.Strings(flags)
	for _, flag := range flags {
		port := ports[flag]
		if port < 1 || port > 65535 {
			return fmt.Errorf("%s %d: a port must be between 1 and 65535", flag, port)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("port %d (%s) is busy on 127.0.0.1: stop what uses it or choose another with %s: %w", port, flag, flag, err)
		}
		l.Close()
	}
	return nil
}

// targetFunctions lists the Lambda functions that some target group targets,
// in a stable order. Other functions in the template (custom-resource
// providers) are CloudFormation's business, not the ALB's.
func targetFunctions(m *localalb.Model) []string {
	seen := map[string]bool{}
	var ids []string
	for _, tg := range m.TargetGroups {
		if fn := tg.Function; fn != nil && !seen[fn.LogicalID] {
			seen[fn.LogicalID] = true
			ids = append(ids, fn.LogicalID)
		}
	}
	sort.Strings(ids)
	return ids
}

// writeDemoUsers writes one demo user per tenant in the seed tool's format.
func writeDemoUsers(path string, tenants []string) error {
	var b strings.Builder
	b.WriteString("username,email,tenant\n")
	for _, t := range tenants {
		u := DemoUsername(t)
		fmt.Fprintf(&b, "%s,%s@example.com,%s\n", u, u, t)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write demo users: %w", err)
	}
	return nil
}

// DemoUsername is the demo user local mode seeds for a tenant.
func DemoUsername(tenant string) string { return "demo-" + strings.ToLower(tenant) }

func localAWSEnv(region string) []string {
	return append(withoutEnv(os.Environ(), "AWS_"), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION="+region,
		"AWS_EC2_METADATA_DISABLED=true")
}

func goBuild(ctx context.Context, repoRoot, binDir string, pkgs ...string) error {
	args := append([]string{"build", "-trimpath", "-o", binDir + string(os.PathSeparator)}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %v: %w\n%s", pkgs, err, out)
	}
	return nil
}

func runTool(ctx context.Context, log io.Writer, env []string, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	return cmd.Run()
}

func writeState(path string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadState reads the state file a running local mode wrote.
func ReadState(workDir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(workDir, "state.json"))
	if err != nil {
		return st, fmt.Errorf("read local state (is `make local` running?): %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse local state: %w", err)
	}
	return st, nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
