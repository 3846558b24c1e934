// Command import-cert generates a self-signed ECDSA P-256 certificate for the
// HTTPS listener, imports it into ACM (tagged so it can be found again) and
// prints only the certificate ARN on stdout, so that
//
//	cdk deploy -c certificateArn=$(go run ./scripts/import-cert)
//
// works. By default it is idempotent: an earlier import with the same domain
// names and tags that is still valid for at least --min-remaining is reused
// (--reuse=false always imports a new one). The private key lives only in
// memory, unless --key-out FILE (written 0600, never overwritten) asks for it;
// --cert-out FILE writes the public certificate for `curl --cacert`.
//
// The default domain is *.<region>.elb.amazonaws.com, which matches the DNS
// name AWS gives an ALB (name-123.<region>.elb.amazonaws.com) before it exists.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/awsenv"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/cli"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/selfsigned"
)

// Tags put on imported certificates. ACM tag values cannot contain "*", so
// the domain is matched through the certificate summary, not a tag.
const (
	TagManagedBy      = "tenant-routing:managed-by"
	TagManagedByValue = "import-cert"
	TagName           = "tenant-routing:name"
)

// ACMAPI is the part of the ACM client import-cert uses.
type ACMAPI interface {
	ListCertificates(context.Context, *acm.ListCertificatesInput, ...func(*acm.Options)) (*acm.ListCertificatesOutput, error)
	ListTagsForCertificate(context.Context, *acm.ListTagsForCertificateInput, ...func(*acm.Options)) (*acm.ListTagsForCertificateOutput, error)
	GetCertificate(context.Context, *acm.GetCertificateInput, ...func(*acm.Options)) (*acm.GetCertificateOutput, error)
	ImportCertificate(context.Context, *acm.ImportCertificateInput, ...func(*acm.Options)) (*acm.ImportCertificateOutput, error)
}

func main() {
	cli.Main(func(ctx context.Context) int {
		return run(ctx, os.Args[1:], time.Now, os.Stdout, os.Stderr)
	})
}

type options struct {
	aws          awsenv.Flags
	domains      []string
	name         string
	endpoint     string
	days         int
	minRemaining time.Duration
	reuse        bool
	certOut      string
	keyOut       string
}

func run(ctx context.Context, args []string, now func() time.Time, stdout, stderr io.Writer) int {
	var o options
	var domain string
	fs := cli.NewFlagSet("import-cert", stderr)
	o.aws.Register(fs)
	fs.StringVar(&domain, "domain", "", "comma-separated DNS names; the first is the common name (default *.<region>.elb.amazonaws.com)")
	fs.StringVar(&o.name, "name", "tenant-routing", "value of the "+TagName+" tag identifying this certificate")
	fs.StringVar(&o.endpoint, "endpoint", "", "ACM endpoint URL (default: SDK resolution incl. AWS_ENDPOINT_URL_ACM)")
	fs.IntVar(&o.days, "days", 365, "validity in days")
	fs.DurationVar(&o.minRemaining, "min-remaining", 30*24*time.Hour, "reuse only certificates valid for at least this long")
	fs.BoolVar(&o.reuse, "reuse", true, "reuse an earlier import with the same names and tags")
	fs.StringVar(&o.certOut, "cert-out", "", "also write the certificate PEM here (for curl --cacert)")
	fs.StringVar(&o.keyOut, "key-out", "", "also write the private key PEM here (mode 0600, must not exist; implies a new import)")
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || o.days < 1 || o.days > 3650 || o.name == "" {
		fmt.Fprintln(stderr, "usage: import-cert [--domain NAMES] [--name TAG] [--days N] [--reuse=false] [--cert-out F] [--key-out F] [--region R] [--profile P]")
		return 2
	}
	cfg, err := awsenv.Load(ctx, o.aws)
	if err != nil {
		fmt.Fprintln(stderr, "import-cert:", err)
		return 1
	}
	if domain == "" {
		domain = "*." + cfg.Region + ".elb.amazonaws.com"
	}
	o.domains = awsenv.SplitList(domain)
	for _, d := range o.domains {
		if err := selfsigned.ValidateDNSName(d); err != nil {
			fmt.Fprintln(stderr, "import-cert:", err)
			return 2
		}
	}
	client := acm.NewFromConfig(cfg, func(ao *acm.Options) {
		if o.endpoint != "" {
			ao.BaseEndpoint = aws.String(o.endpoint)
		}
	})
	arn, err := ensure(ctx, client, o, now, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "import-cert:", err)
		return 1
	}
	fmt.Fprintln(stdout, arn)
	return 0
}

// ensure returns the ARN of a reusable certificate or imports a new one.
func ensure(ctx context.Context, api ACMAPI, o options, now func() time.Time, log io.Writer) (string, error) {
	if o.keyOut != "" {
		o.reuse = false // the key of an earlier import cannot be recovered
		if _, err := os.Lstat(o.keyOut); err == nil {
			return "", fmt.Errorf("--key-out %s already exists; refusing to overwrite a private key", o.keyOut)
		}
	}
	if o.reuse {
		arn, err := findReusable(ctx, api, o, now())
		if err != nil {
			return "", err
		}
		if arn != "" {
			fmt.Fprintf(log, "import-cert: reusing %s\n", arn)
			if o.certOut != "" {
				got, err := api.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
				if err != nil {
					return "", fmt.Errorf("get certificate %s: %w", arn, err)
				}
				if err := os.WriteFile(o.certOut, []byte(aws.ToString(got.Certificate)), 0o644); err != nil {
					return "", fmt.Errorf("write --cert-out: %w", err)
				}
			}
			return arn, nil
		}
	}
	c, err := selfsigned.Generate(selfsigned.Options{
		DNSNames: o.domains, Validity: time.Duration(o.days) * 24 * time.Hour, Now: now,
	})
	if err != nil {
		return "", err
	}
	if o.keyOut != "" {
		f, err := os.OpenFile(o.keyOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("write --key-out: %w", err)
		}
		_, werr := f.Write(c.KeyPEM)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", fmt.Errorf("write --key-out: %w", werr)
		}
	}
	out, err := api.ImportCertificate(ctx, &acm.ImportCertificateInput{
		Certificate: c.CertPEM,
		PrivateKey:  c.KeyPEM,
		Tags: []acmtypes.Tag{
			{Key: aws.String(TagManagedBy), Value: aws.String(TagManagedByValue)},
			{Key: aws.String(TagName), Value: aws.String(o.name)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("import certificate: %w", err)
	}
	if o.certOut != "" {
		if err := os.WriteFile(o.certOut, c.CertPEM, 0o644); err != nil {
			return "", fmt.Errorf("write --cert-out: %w", err)
		}
	}
	arn := aws.ToString(out.CertificateArn)
	fmt.Fprintf(log, "import-cert: imported %s for %s (valid until %s)\n", arn, strings.Join(o.domains, ","), c.Cert.NotAfter.Format(time.DateOnly))
	return arn, nil
}

// findReusable returns the newest imported certificate with our tags, the
// same names, status ISSUED and at least o.minRemaining validity left.
func findReusable(ctx context.Context, api ACMAPI, o options, now time.Time) (string, error) {
	in := &acm.ListCertificatesInput{
		CertificateStatuses: []acmtypes.CertificateStatus{acmtypes.CertificateStatusIssued},
		// Without Includes.KeyTypes, ListCertificates returns only RSA certificates.
		Includes: &acmtypes.Filters{KeyTypes: []acmtypes.KeyAlgorithm{acmtypes.KeyAlgorithmEcPrime256v1}},
	}
	wantNames := slices.Clone(o.domains)
	slices.Sort(wantNames)
	var best string
	var bestNotAfter time.Time
	for {
		page, err := api.ListCertificates(ctx, in)
		if err != nil {
			return "", fmt.Errorf("list certificates: %w", err)
		}
		for _, s := range page.CertificateSummaryList {
			if s.Type != acmtypes.CertificateTypeImported || aws.ToString(s.DomainName) != o.domains[0] ||
				s.NotAfter == nil || s.NotAfter.Before(now.Add(o.minRemaining)) {
				continue
			}
			names := slices.Clone(s.SubjectAlternativeNameSummaries)
			slices.Sort(names)
			if !slices.Equal(names, wantNames) {
				continue
			}
			tags, err := api.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: s.CertificateArn})
			if err != nil {
				return "", fmt.Errorf("list tags of %s: %w", aws.ToString(s.CertificateArn), err)
			}
			if tagValue(tags.Tags, TagManagedBy) != TagManagedByValue || tagValue(tags.Tags, TagName) != o.name {
				continue
			}
			if best == "" || s.NotAfter.After(bestNotAfter) {
				best, bestNotAfter = aws.ToString(s.CertificateArn), *s.NotAfter
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return best, nil
		}
		in.NextToken = page.NextToken
	}
}

func tagValue(tags []acmtypes.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
