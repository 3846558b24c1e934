package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/fakeaws"
)

// fakeACM speaks the ACM JSON 1.1 protocol for the four calls import-cert
// makes. Blobs travel base64-encoded, which encoding/json does for []byte.
type fakeACM struct {
	mu    sync.Mutex
	certs []*storedCert
}

type storedCert struct {
	arn        string
	certPEM    []byte
	keyPEM     []byte
	cert       *x509.Certificate
	tags       []tag
	importedAt time.Time
}

type tag struct{ Key, Value string }

func (f *fakeACM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "CertificateManager.")
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "ImportCertificate":
		var in struct {
			Certificate, PrivateKey []byte
			Tags                    []tag
		}
		if err := json.Unmarshal(body, &in); err != nil {
			fakeaws.JSONError(w, 400, "ValidationException", err.Error())
			return
		}
		b, _ := pem.Decode(in.Certificate)
		if b == nil {
			fakeaws.JSONError(w, 400, "ValidationException", "certificate is not PEM")
			return
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			fakeaws.JSONError(w, 400, "ValidationException", err.Error())
			return
		}
		if _, err := tls.X509KeyPair(in.Certificate, in.PrivateKey); err != nil {
			fakeaws.JSONError(w, 400, "ValidationException", "key does not match: "+err.Error())
			return
		}
		c := &storedCert{arn: fmt.Sprintf("arn:aws:acm:us-east-1:123456789012:certificate/%08d", len(f.certs)+1),
			certPEM: in.Certificate, keyPEM: in.PrivateKey, cert: cert, tags: in.Tags}
		f.certs = append(f.certs, c)
		_ = json.NewEncoder(w).Encode(map[string]string{"CertificateArn": c.arn})
	case "ListCertificates":
		var in struct {
			CertificateStatuses []string
			Includes            *struct{ KeyTypes []string }
			NextToken           string
		}
		_ = json.Unmarshal(body, &in)
		// Like AWS: only RSA keys unless other key types are asked for.
		if in.Includes == nil || !slices.Contains(in.Includes.KeyTypes, "EC_prime256v1") {
			_ = json.NewEncoder(w).Encode(map[string]any{"CertificateSummaryList": []any{}})
			return
		}
		// One certificate per page, to exercise pagination.
		start := 0
		if in.NextToken != "" {
			_, _ = fmt.Sscan(in.NextToken, &start)
		}
		out := map[string]any{"CertificateSummaryList": []any{}}
		if start < len(f.certs) {
			c := f.certs[start]
			out["CertificateSummaryList"] = []any{map[string]any{
				"CertificateArn": c.arn, "DomainName": c.cert.Subject.CommonName, "Type": "IMPORTED", "Status": "ISSUED",
				"KeyAlgorithm": "EC_prime256v1", "NotAfter": c.cert.NotAfter.Unix(), "SubjectAlternativeNameSummaries": c.cert.DNSNames,
			}}
			if start+1 < len(f.certs) {
				out["NextToken"] = fmt.Sprint(start + 1)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	case "ListTagsForCertificate", "GetCertificate":
		var in struct{ CertificateArn string }
		_ = json.Unmarshal(body, &in)
		for _, c := range f.certs {
			if c.arn == in.CertificateArn {
				if op == "GetCertificate" {
					_ = json.NewEncoder(w).Encode(map[string]string{"Certificate": string(c.certPEM)})
				} else {
					_ = json.NewEncoder(w).Encode(map[string]any{"Tags": c.tags})
				}
				return
			}
		}
		fakeaws.JSONError(w, 400, "ResourceNotFoundException", "no such certificate")
	default:
		fakeaws.JSONError(w, 400, "UnknownOperationException", op)
	}
}

func TestImportCert(t *testing.T) {
	cltest.Env(t)
	acmFake := &fakeACM{}
	fake := fakeaws.New(t, fakeaws.Options{ACM: acmFake})
	t.Setenv("AWS_ENDPOINT_URL_ACM", fake.URL)
	dir := t.TempDir()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	call := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), args, clock, &out, &errb)
		return code, out.String(), errb.String()
	}
	imports := func() int { return fake.Count("acm.ImportCertificate") }

	// 1. First run imports a certificate for the default name.
	code, out, errs := call(t)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	arn1 := strings.TrimSuffix(out, "\n")
	if out != arn1+"\n" || !strings.HasPrefix(arn1, "arn:aws:acm:") || imports() != 1 {
		t.Fatalf("stdout %q, %d imports", out, imports())
	}
	c := acmFake.certs[0]
	if !slices.Equal(c.cert.DNSNames, []string{"*.us-east-1.elb.amazonaws.com"}) || c.cert.NotAfter.Sub(now) != 365*24*time.Hour {
		t.Errorf("cert names %v notAfter %v", c.cert.DNSNames, c.cert.NotAfter)
	}
	if !slices.Contains(c.tags, tag{TagManagedBy, TagManagedByValue}) || !slices.Contains(c.tags, tag{TagName, "tenant-routing"}) {
		t.Errorf("tags %v", c.tags)
	}
	if strings.Contains(out+errs, "PRIVATE KEY") {
		t.Error("private key printed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Error("files written without --key-out/--cert-out")
	}

	// 2. Re-run reuses it (no import), and can write the certificate out.
	certOut := filepath.Join(dir, "cert.pem")
	code, out, _ = call(t, "--cert-out", certOut)
	if code != 0 || out != arn1+"\n" || imports() != 1 {
		t.Fatalf("re-run: exit %d out %q imports %d", code, out, imports())
	}
	if b, _ := os.ReadFile(certOut); !bytes.Equal(b, c.certPEM) {
		t.Error("--cert-out of a reused certificate differs")
	}

	// 3. Cases that need a new import.
	tests := []struct {
		name string
		args []string
		when time.Time
	}{
		{"reuse disabled", []string{"--reuse=false"}, now},
		{"other domain", []string{"--domain", "api.example.com,www.example.com"}, now},
		{"other name tag", []string{"--name", "staging"}, now},
		{"existing ones expire within 30 days", nil, now.Add(340 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := imports()
			saved := now
			now = tt.when
			defer func() { now = saved }()
			code, out, errs := call(t, tt.args...)
			if code != 0 || imports() != before+1 || strings.TrimSpace(out) == arn1 {
				t.Fatalf("exit %d out %q imports %d->%d: %s", code, out, before, imports(), errs)
			}
		})
	}
	// The multi-name certificate is reused when asked for in another order.
	before := imports()
	if code, _, errs := call(t, "--domain", "api.example.com,www.example.com"); code != 0 || imports() != before {
		t.Fatalf("same names: exit %d, %d new imports: %s", code, imports()-before, errs)
	}

	// 4. --key-out writes the key 0600 and never overwrites.
	keyOut := filepath.Join(dir, "key.pem")
	before = imports()
	code, _, errs = call(t, "--key-out", keyOut)
	if code != 0 || imports() != before+1 {
		t.Fatalf("--key-out: exit %d: %s", code, errs)
	}
	fi, err := os.Stat(keyOut)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(keyOut); !bytes.Equal(b, acmFake.certs[len(acmFake.certs)-1].keyPEM) {
		t.Error("--key-out content is not the imported key")
	}
	if code, _, errs = call(t, "--key-out", keyOut); code != 1 || !strings.Contains(errs, "refusing to overwrite") {
		t.Fatalf("second --key-out: exit %d: %s", code, errs)
	}

	// 5. Bad input: no ACM call.
	fake.Reset()
	for _, args := range [][]string{{"--domain", "bad_name.example.com"}, {"--days", "0"}, {"extra"}} {
		if code, _, _ := call(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("bad input made calls: %v", calls)
	}
}
