package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pack-publish/pack-publish/internal/integration"
)

// distribution is a running Debian docker-registry (CNCF distribution 2.8,
// the engine Harbor is built on) with htpasswd auth and TLS.
type distribution struct {
	Host     string // 127.0.0.1:port
	CAFile   string // PEM of its self-signed certificate
	User     string
	Password string
	Data     string // storage root
}

// requireTool skips the test when a tool is missing, unless CI demands the
// integration tests (PACK_PUBLISH_REQUIRE_INTEGRATION=1, set by .ci/run).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		integration.Skip(t, "%s not found on PATH; run .ci/run to install it", name)
	}
	return p
}

// startDistribution starts docker-registry on a free loopback port and stops
// it when the test ends.
func startDistribution(t *testing.T) *distribution {
	t.Helper()
	return startDistributionAs(t, "robot$ci", "s3cret-Pa55")
}

// startDistributionAs starts docker-registry with one htpasswd user.
func startDistributionAs(t *testing.T, user, password string) *distribution {
	t.Helper()
	bin := requireTool(t, "docker-registry")
	htpasswd := requireTool(t, "htpasswd")
	dir := t.TempDir()
	d := &distribution{User: user, Password: password, Data: filepath.Join(dir, "data"), CAFile: filepath.Join(dir, "cert.pem")}

	out, err := exec.Command(htpasswd, "-Bbn", d.User, d.Password).Output()
	if err != nil {
		t.Fatalf("htpasswd: %v", err)
	}
	writeFile(t, filepath.Join(dir, "htpasswd"), out)
	keyFile := filepath.Join(dir, "key.pem")
	selfSigned(t, d.CAFile, keyFile)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.Host = l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}
http:
  addr: %s
  secret: test-secret
  tls: {certificate: %s, key: %s}
auth: {htpasswd: {realm: basic-realm, path: %s}}
`, d.Data, d.Host, d.CAFile, keyFile, filepath.Join(dir, "htpasswd"))
	writeFile(t, filepath.Join(dir, "config.yml"), []byte(cfg))

	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting docker-registry: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})

	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(d.CAFile)
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: time.Second}
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := client.Get("https://" + d.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return d
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry did not come up on %s: %v\n%s", d.Host, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func selfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
}

// writeFile writes a file, creating its folder.
func writeFile(tb testing.TB, name string, b []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}
