package localmode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/localalb"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/rie"
)

// Options configure one local run. Zero values get the documented defaults
// from Defaults().
type Options struct {
	RepoRoot    string // directory with cdk.json, lambda/ and scripts/
	WorkDir     string // state: cloud assembly, binaries, cognito data, certificate, passwords, logs/
	Region      string // region the intrinsics resolve to; also the issuer's region
	AccountID   string // account the intrinsics resolve to
	StackName   string // the shared stack's name; cell stacks are <StackName>-Cell-<cell>. Default: the stackName context value, else TenantRouting
	HTTPSPort   int    // local port of the first cell's HTTPS (443) listener; cell i gets HTTPSPort+i
	HTTPPort    int    // local port of the first cell's HTTP (80) listener; cell i gets HTTPPort+i
	CognitoPort int    // cognito-local port
	// Assembly serves this cloud assembly directory (a cdk.out with
	// manifest.json) instead of running `cdk synth`.
	Assembly  string
	UsersFile string // users to seed; empty = demo users (see DemoUsers)
	Context   []string
	// DemoUsers is how many tenants get a demo user when UsersFile is empty:
	// 0 = every tenant; N = a deterministic sample of N tenants with every
	// cell represented.
	DemoUsers int
	// IdleTimeout stops a tenant's runtime after it served no request for
	// this long; MaxWarm caps the runtimes kept running (least recently used
	// stopped first). Runtimes start on a tenant's first request.
	IdleTimeout time.Duration
	MaxWarm     int
	Out         io.Writer // the console: progress, the ready table, request and function lines
}

// Defaults returns the documented defaults.
func Defaults() Options {
	return Options{
		WorkDir: ".local", Region: "us-east-1", AccountID: "000000000000",
		HTTPSPort: 8443, HTTPPort: 8080, CognitoPort: 9229,
		IdleTimeout: rie.DefaultIdleTimeout, MaxWarm: rie.DefaultMaxWarm,
	}
}

// Run starts the whole system, prints the ready table, and blocks until ctx
// is cancelled (or cognito-local dies); then it stops everything it started,
// in reverse order.
func Run(ctx context.Context, o Options) (err error) {
	o = withDefaults(o)
	con := newConsole(o.Out)
	// The ports known before synthesis (cell 1's and cognito-local's) fail
	// fast; every cell's are checked once the assembly says how many cells.
	if err := checkPorts(cellPorts([]*Cell{{ID: contract.DefaultCell, HTTPSPort: o.HTTPSPort, HTTPPort: o.HTTPPort}}, o.CognitoPort)); err != nil {
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
	logs, err := newLogFiles(filepath.Join(work, "logs"))
	if err != nil {
		return err
	}

	var stops []func() error
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			if e := stops[i](); e != nil && err == nil {
				err = fmt.Errorf("shutdown: %w", e)
			}
		}
		if e := logs.close(); e != nil && err == nil {
			err = e
		}
	}()

	// Build the tools, the handler and the runtime emulator while the app
	// is synthesized.
	con.step("building the seed and token tools, the tenant handler and the Lambda runtime emulator")
	buildCtx, cancelBuilds := context.WithCancel(ctx)
	defer cancelBuilds() // an early return kills a build still running
	builds := make(chan binaries, 1)
	go func() { builds <- buildBinaries(buildCtx, o.RepoRoot, work, binDir) }()

	// 1. The cloud assembly: the same one `cdk deploy` would deploy.
	asmDir := o.Assembly
	if asmDir == "" {
		con.step("synthesizing the CDK app (log: %s)", rel(o.RepoRoot, logs.path("synth.log")))
		synthLog, err := logs.open("synth.log")
		if err != nil {
			return err
		}
		asmDir, err = Synthesize(ctx, SynthOptions{
			RepoRoot: o.RepoRoot, OutDir: filepath.Join(work, "cdk.out"), Context: o.Context, Log: synthLog,
		})
		if err != nil {
			return childFailed(err, logs.path("synth.log"), o.RepoRoot)
		}
	}
	if asmDir, err = filepath.Abs(asmDir); err != nil {
		return fmt.Errorf("cloud assembly: %w", err)
	}
	resolver := localalb.Resolver{Region: o.Region, AccountID: o.AccountID, Partition: "aws", StackName: o.StackName}
	identity, err := ReadIdentity(asmDir, resolver)
	if err != nil {
		return fmt.Errorf("cloud assembly %s: %w", rel(o.RepoRoot, asmDir), err)
	}
	poolID := PoolID(o.Region, o.StackName, identity.PoolLogicalID)
	resolver.Refs = map[string]string{identity.PoolLogicalID: poolID, identity.ClientLogicalID: "client-id-not-known-yet"}
	// The plan: which cells, which tenants, which ports. The models are
	// loaded again below once cognito-local has made the app client id.
	asm, err := localalb.LoadAssembly(asmDir, resolver)
	if err != nil {
		return fmt.Errorf("load the listeners and rules of the cloud assembly %s: %w", rel(o.RepoRoot, asmDir), err)
	}
	cells := cellsOf(asm)
	placeCells(cells, o.HTTPSPort, o.HTTPPort)
	if err := checkPorts(cellPorts(cells, o.CognitoPort)); err != nil {
		return err
	}
	tenants := allTenants(cells)
	con.step("cloud assembly %s: %d cell(s), %d tenant(s)", rel(o.RepoRoot, asmDir), len(cells), len(tenants))

	// The binaries do not depend on the assembly: they were built while it
	// was synthesized.
	bin := <-builds
	if bin.err != nil {
		return bin.err
	}

	// 2. cognito-local with the shared stack's pool and every cell's
	// groups (written before it starts); the app client through its API.
	cognitoLog := logs.path("cognito-local.log")
	idp, err := cognitolocal.Start(ctx, cognitolocal.Options{
		Dir: filepath.Join(runDir, "cognito"), Host: "127.0.0.1", Port: o.CognitoPort, PortFlag: "--cognito-port",
		Config: cognitolocal.ProjectConfig(o.Region), LogFile: cognitoLog, Pools: []cognitolocal.Pool{poolOf(poolID, identity)},
	})
	if err != nil {
		return childFailed(fmt.Errorf("start cognito-local: %w", err), cognitoLog, o.RepoRoot)
	}
	stops = append(stops, idp.Stop)
	clientID, err := createClient(ctx, newCognitoClient(idp.URL(), o.Region), poolID, identity)
	if err != nil {
		return childFailed(err, cognitoLog, o.RepoRoot)
	}
	issuer := contract.IssuerURL(o.Region, poolID)
	con.step("cognito-local on %s: pool %s with %d group(s), client %s", idp.URL(), poolID, len(identity.Groups), clientID)

	// 3. Seed the users with the same tool an operator runs against AWS.
	usersFile := o.UsersFile
	if usersFile == "" {
		usersFile = filepath.Join(work, "users.csv")
		if err := writeDemoUsers(usersFile, sampleTenants(cells, o.DemoUsers)); err != nil {
			return err
		}
	}
	passwordsFile := filepath.Join(work, "passwords.json")
	seedLog, err := logs.open("seed-users.log")
	if err != nil {
		return err
	}
	seedEnv := append(localAWSEnv(o.Region), "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="+idp.URL())
	if err := runTool(ctx, seedLog, seedEnv, filepath.Join(binDir, "seed-users"),
		"--users", usersFile, "--user-pool-id", poolID, "--tenants", strings.Join(identity.Groups, ","),
		"--passwords-file", passwordsFile); err != nil {
		return childFailed(fmt.Errorf("seed users: %w", err), logs.path("seed-users.log"), o.RepoRoot)
	}
	con.step("seeded the users of %s (passwords in %s, mode 0600)", rel(o.RepoRoot, usersFile), rel(o.RepoRoot, passwordsFile))

	// 4. The assembly again, with the app client id cognito-local made.
	resolver.Refs[identity.ClientLogicalID] = clientID
	if asm, err = localalb.LoadAssembly(asmDir, resolver); err != nil {
		return fmt.Errorf("load the cloud assembly with the client id: %w", err)
	}
	if err := reloadModels(cells, asm); err != nil {
		return err
	}

	// 5. The runtime pool (runtimes start on demand) and one local ALB per
	// cell, all serving one self-signed certificate.
	cert, certPEM, err := localalb.SelfSignedCertificate(30 * 24 * time.Hour)
	if err != nil {
		return fmt.Errorf("create local certificate: %w", err)
	}
	caFile := filepath.Join(work, "alb-cert.pem")
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", caFile, err)
	}
	requestFile, err := logs.open("alb-requests.log")
	if err != nil {
		return err
	}
	runtimeFile, err := logs.open("runtimes.log")
	if err != nil {
		return err
	}
	pool, err := rie.NewPool(rie.PoolOptions{
		Emulator: bin.emulator, Bootstrap: bin.bootstrap, LogDir: logs.dir, Console: poolConsole{con},
		IdleTimeout: o.IdleTimeout, MaxWarm: o.MaxWarm, Logger: slog.New(slog.NewJSONHandler(runtimeFile, nil)),
	})
	if err != nil {
		return err
	}
	stops = append(stops, pool.Close)
	names := map[string]string{}
	for _, c := range cells {
		invokers, err := cellInvokers(pool, c, o.Region, names)
		if err != nil {
			return err
		}
		alb, err := localalb.New(c.Model, localalb.Options{
			ListenerAddrs: map[int]string{
				443: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.HTTPSPort)),
				80:  net.JoinHostPort("127.0.0.1", strconv.Itoa(c.HTTPPort)),
			},
			JWKSRewrites:   []localalb.PrefixRewrite{{From: contract.IssuerPrefix(o.Region), To: idp.URL() + "/"}},
			Invokers:       invokers,
			TLSCertificate: &cert,
			Logger:         requestLog(requestFile, con, c.ID, len(cells) > 1),
		})
		if err != nil {
			return fmt.Errorf("configure the local ALB of cell %s: %w", c.ID, err)
		}
		if err := alb.Start(); err != nil {
			return fmt.Errorf("start the local ALB of cell %s: %w", c.ID, err)
		}
		stops = append(stops, func() error {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return alb.Shutdown(sctx)
		})
	}
	con.step("%d local ALB(s) up; %d Lambda runtime(s) start on first request (idle stop %s, at most %d warm; logs: %s)",
		len(cells), len(names), o.IdleTimeout, o.MaxWarm, rel(o.RepoRoot, logs.dir))

	// 6. Ready: the directory, the state file, then the table (a script
	// that sees the table finds the state file).
	cellList := cellStates(cells)
	tsvPath, jsonPath, err := writeDirectory(work, cellList)
	if err != nil {
		return err
	}
	stops = append(stops, func() error { return errors.Join(removeIfExists(tsvPath), removeIfExists(jsonPath)) })
	first := cellList[0]
	st := State{
		BaseURL: first.BaseURL, HTTPURL: first.HTTPURL,
		CACert: caFile, CognitoURL: idp.URL(), Region: o.Region, UserPoolID: poolID, ClientID: clientID,
		Issuer: issuer, Tenants: tenants, UsersFile: usersFile, PasswordsFile: passwordsFile,
		BinDir: binDir, Assembly: asmDir,
		Cells: cellList, DirectoryTSV: tsvPath, DirectoryJSON: jsonPath, LogsDir: logs.dir,
	}
	statePath := filepath.Join(work, "state.json")
	if err := writeJSON(statePath, st, 0o600); err != nil {
		return err
	}
	stops = append(stops, func() error { return removeIfExists(statePath) })
	con.step("ready")
	printBanner(con, o.RepoRoot, st)
	select {
	case <-ctx.Done():
		con.printf("stopping: local ALBs, Lambda runtimes, cognito-local\n")
		return nil
	case <-idp.Exited():
		return childFailed(errors.New("cognito-local exited"), cognitoLog, o.RepoRoot)
	}
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
	if o.IdleTimeout == 0 {
		o.IdleTimeout = d.IdleTimeout
	}
	if o.StackName == "" {
		o.StackName = firstNonEmpty(contextValue(o.Context, "stackName"), contract.DefaultStackName)
	}
	if o.MaxWarm == 0 {
		o.MaxWarm = d.MaxWarm
	}
	if !hasContextKey(o.Context, "certificateArn") && !hasContextKey(o.Context, "domainName") {
		o.Context = append(o.Context, "certificateArn="+contract.PlaceholderCertificateARN)
	}
	return o
}

// contextValue is the value of the last key=value for key in kvs, "" if none.
func contextValue(kvs []string, key string) string {
	v := ""
	for _, kv := range kvs {
		if val, ok := strings.CutPrefix(kv, key+"="); ok {
			v = val
		}
	}
	return v
}

func hasContextKey(kvs []string, key string) bool {
	for _, kv := range kvs {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
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

func runTool(ctx context.Context, log io.Writer, env []string, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	return cmd.Run()
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
