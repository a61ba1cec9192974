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
	"go/build"
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

// distribution is a running CNCF distribution registry with htpasswd auth
// and TLS: Debian's docker-registry 2.8 (the engine Harbor is built on) or
// distribution v3 built from the Go module proxy.
type distribution struct {
	Kind     string // registryKind.Name
	Host     string // 127.0.0.1:port
	CAFile   string // PEM of its self-signed certificate
	User     string
	Password string
	Data     string // storage root

	bin, config, log string
	env              []string
	cmd              *exec.Cmd
}

// registryKind is one of the real registries every e2e scenario runs
// against.
type registryKind struct {
	Name  string
	start func(t *testing.T, user, password string) *distribution
}

// realRegistries: Debian's docker-registry 2.8 with delete enabled, and
// distribution v3 with delete disabled and strict manifest validation
// (foreign layer URLs denied, indexes checked for all platforms), as
// interop.md's setup 3.
var realRegistries = []registryKind{
	{"docker-registry-2.8", startDistributionAs},
	{"distribution-v3", startDistributionV3As},
}

// distributionV3Version is what .ci/run installs.
const distributionV3Version = "v3.1.2"

// distributionV3Bin finds the distribution v3 registry binary: the
// DISTRIBUTION_V3_BIN variable, else where .ci/run installs it
// ($GOPATH/distribution-v3/bin/registry, apart from Debian's
// docker-registry and anything else called registry).
func distributionV3Bin(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DISTRIBUTION_V3_BIN")
	if p == "" {
		p = filepath.Join(build.Default.GOPATH, "distribution-v3", "bin", "registry")
	}
	if _, err := os.Stat(p); err != nil {
		integration.Skip(t, "distribution v3 not found at %s (set DISTRIBUTION_V3_BIN, or install it as .ci/run does: "+
			"GOBIN=$(go env GOPATH)/distribution-v3/bin go install github.com/distribution/distribution/v3/cmd/registry@%s)", p, distributionV3Version)
	}
	return p
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

// startDistributionAs starts Debian's docker-registry 2.8 with one htpasswd
// user.
func startDistributionAs(t *testing.T, user, password string) *distribution {
	t.Helper()
	bin := requireTool(t, "docker-registry")
	return startRegistry(t, "docker-registry-2.8", bin, user, password, nil, func(data, addr, cert, key, htpasswd string) string {
		return fmt.Sprintf(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}
http:
  addr: %s
  secret: test-secret
  tls: {certificate: %s, key: %s}
auth: {htpasswd: {realm: basic-realm, path: %s}}
`, data, addr, cert, key, htpasswd)
	})
}

// startDistributionV3As starts distribution v3 with one htpasswd user,
// delete disabled and strict manifest validation.
func startDistributionV3As(t *testing.T, user, password string) *distribution {
	t.Helper()
	bin := distributionV3Bin(t)
	// v3 exports OpenTelemetry traces to localhost unless told not to.
	env := []string{"OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none"}
	return startRegistry(t, "distribution-v3", bin, user, password, env, func(data, addr, cert, key, htpasswd string) string {
		return fmt.Sprintf(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: %s}, delete: {enabled: false}, redirect: {disable: true}}
validation:
  disabled: false
  manifests: {urls: {allow: [], deny: ['.*']}, indexes: {platforms: all}}
http:
  addr: %s
  secret: test-secret
  tls: {certificate: %s, key: %s}
auth: {htpasswd: {realm: basic-realm, path: %s}}
`, data, addr, cert, key, htpasswd)
	})
}

// startRegistry writes the htpasswd file, a certificate and the
// configuration config(data, addr, cert, key, htpasswd) returns, and serves
// bin on a free loopback port until the test ends.
func startRegistry(t *testing.T, kind, bin, user, password string, env []string, config func(data, addr, cert, key, htpasswd string) string) *distribution {
	t.Helper()
	htpasswd := requireTool(t, "htpasswd")
	dir := t.TempDir()
	d := &distribution{Kind: kind, User: user, Password: password, Data: filepath.Join(dir, "data"), CAFile: filepath.Join(dir, "cert.pem"),
		bin: bin, config: filepath.Join(dir, "config.yml"), log: filepath.Join(dir, "registry.log"), env: env}

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
	writeFile(t, d.config, []byte(config(d.Data, d.Host, d.CAFile, keyFile, filepath.Join(dir, "htpasswd"))))
	d.Start(t)
	t.Cleanup(d.Stop)
	return d
}

// Start serves the registry and waits until it answers.
func (d *distribution) Start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child has its own descriptor
	d.cmd = exec.Command(d.bin, "serve", d.config)
	d.cmd.Env = append(os.Environ(), d.env...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", d.Kind, err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(d.CAFile)
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: time.Second}
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := client.Get("https://" + d.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(d.log)
			t.Fatalf("%s did not come up on %s: %v\n%s", d.Kind, d.Host, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the registry; Start serves it again on the same port and data.
func (d *distribution) Stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	d.cmd = nil
}

// GarbageCollect stops the registry, runs its offline `garbage-collect`
// (with --delete-untagged when untagged), and starts it again.
func (d *distribution) GarbageCollect(t *testing.T, untagged bool) (string, error) {
	t.Helper()
	d.Stop()
	args := []string{"garbage-collect", d.config}
	if untagged {
		args = []string{"garbage-collect", "--delete-untagged", d.config}
	}
	cmd := exec.Command(d.bin, args...)
	cmd.Env = append(os.Environ(), d.env...)
	out, err := cmd.CombinedOutput()
	d.Start(t)
	return string(out), err
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
