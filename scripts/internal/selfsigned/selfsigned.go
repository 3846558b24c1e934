// Package selfsigned generates self-signed TLS server certificates for the
// HTTPS listener when no real domain is available.
//
// Key type: ECDSA P-256. ACM imports it (EC_prime256v1) and Application Load
// Balancers accept every key algorithm ACM supports
// (https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-prerequisites.html);
// it is generated instantly, gives small handshakes, and every TLS 1.3 client
// (the listener uses ELBSecurityPolicy-TLS13-1-3-2021-06) supports it. The
// trade-off: ListCertificates only returns RSA certificates unless asked for
// other key types, which import-cert does.
package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// Options configures Generate.
type Options struct {
	// DNSNames are the subject alternative names; the first is also the
	// common name. A wildcard is allowed as the leftmost label only.
	DNSNames []string
	// Validity is the lifetime (default 365 days).
	Validity time.Duration
	// Now is the issue time (default time.Now).
	Now func() time.Time
	// Organization goes into the subject (default "tenant-routing self-signed").
	Organization string
}

// Certificate is a generated certificate and its key, PEM encoded.
type Certificate struct {
	CertPEM []byte
	KeyPEM  []byte // PKCS#8 "PRIVATE KEY"
	Cert    *x509.Certificate
}

// Backdate protects against small clock skew between machines.
const Backdate = 5 * time.Minute

var labelPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// ValidateDNSName checks name is a DNS name usable in a certificate:
// labels of letters, digits and hyphens, an optional leading "*." and at
// least two labels, at most 253 characters.
func ValidateDNSName(name string) error {
	if name == "" || len(name) > 253 {
		return fmt.Errorf("invalid domain %q: must be 1-253 characters", name)
	}
	labels := strings.Split(strings.TrimPrefix(name, "*."), ".")
	if len(labels) < 2 {
		return fmt.Errorf("invalid domain %q: need at least two labels (e.g. example.com)", name)
	}
	for _, l := range labels {
		if !labelPattern.MatchString(l) {
			return fmt.Errorf("invalid domain %q: bad label %q (wildcards only as the leftmost label)", name, l)
		}
	}
	return nil
}

// Generate creates a self-signed ECDSA P-256 server certificate.
func Generate(o Options) (*Certificate, error) {
	if len(o.DNSNames) == 0 {
		return nil, errors.New("selfsigned: at least one DNS name is required")
	}
	for _, n := range o.DNSNames {
		if err := ValidateDNSName(n); err != nil {
			return nil, err
		}
	}
	if o.Validity <= 0 {
		o.Validity = 365 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Organization == "" {
		o.Organization = "tenant-routing self-signed"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("selfsigned: serial: %w", err)
	}
	now := o.Now().UTC()
	cn := o.DNSNames[0]
	if len(cn) > 64 { // RFC 5280 ub-common-name
		cn = cn[:64]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)), // never zero
		Subject:               pkix.Name{CommonName: cn, Organization: []string{o.Organization}},
		DNSNames:              append([]string(nil), o.DNSNames...),
		NotBefore:             now.Add(-Backdate),
		NotAfter:              now.Add(o.Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: parse certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("selfsigned: encode key: %w", err)
	}
	return &Certificate{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Cert:    cert,
	}, nil
}
