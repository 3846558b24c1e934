package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGenerate(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	names := []string{"*.us-east-1.elb.amazonaws.com", "api.example.com"}
	c, err := Generate(Options{DNSNames: names, Validity: 30 * 24 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	cert := c.Cert
	if !slices.Equal(cert.DNSNames, names) || cert.Subject.CommonName != names[0] {
		t.Errorf("SANs %v CN %q", cert.DNSNames, cert.Subject.CommonName)
	}
	if !cert.NotBefore.Equal(now.Add(-Backdate)) || !cert.NotAfter.Equal(now.Add(30*24*time.Hour)) {
		t.Errorf("validity %v - %v", cert.NotBefore, cert.NotAfter)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("key usage %v ext %v", cert.KeyUsage, cert.ExtKeyUsage)
	}
	if cert.IsCA || !cert.BasicConstraintsValid || cert.Version != 3 {
		t.Errorf("IsCA %v basic %v version %d", cert.IsCA, cert.BasicConstraintsValid, cert.Version)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T", cert.PublicKey)
	}
	if cert.SerialNumber.Sign() <= 0 {
		t.Error("serial must be positive")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil || !slices.Equal(cert.RawIssuer, cert.RawSubject) {
		t.Errorf("not self-signed: %v", err)
	}
	if b, _ := pem.Decode(c.KeyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Fatal("key PEM is not PKCS#8")
	}
	if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Errorf("cert and key do not match: %v", err)
	}
	// Hostname checks the way clients (curl --cacert) do them.
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for host, ok := range map[string]bool{
		"tenantrouting-alb-123.us-east-1.elb.amazonaws.com": true,
		"api.example.com":                 true,
		"a.b.us-east-1.elb.amazonaws.com": false, // wildcard covers one label
		"other.example.com":               false,
	} {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, CurrentTime: now})
		if (err == nil) != ok {
			t.Errorf("verify %s: err=%v, want ok=%v", host, err, ok)
		}
	}
}

// TestServesTLS checks a Go client trusting only the certificate can talk to
// a server using it (what `curl --cacert cert.pem` does against the ALB).
func TestServesTLS(t *testing.T) {
	c, err := Generate(Options{DNSNames: []string{"localhost.test"}})
	if err != nil {
		t.Fatal(err)
	}
	pair, _ := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(c.CertPEM)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost.test"},
	}, Timeout: 5 * time.Second}
	resp, err := client.Get("https://127.0.0.1:" + port)
	if err != nil {
		t.Fatalf("TLS request: %v", err)
	}
	resp.Body.Close()
}

func TestValidateDNSName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"example.com", true},
		{"*.us-east-1.elb.amazonaws.com", true},
		{"my-alb-123.eu-west-1.elb.amazonaws.com", true},
		{"", false},
		{"localhost", false},
		{"*.com.", false},
		{"a.*.example.com", false},
		{"-bad.example.com", false},
		{"under_score.example.com", false},
		{strings.Repeat("a", 64) + ".com", false},
		{strings.Repeat("abc.", 64) + "com", false},
	}
	for _, tt := range tests {
		if err := ValidateDNSName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateDNSName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if _, err := Generate(Options{}); err == nil {
		t.Error("Generate without names succeeded")
	}
}
