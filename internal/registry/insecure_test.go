package registry

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"
)

// TestNewClient_insecureCoversTheRegistryOnly: insecure skips verification
// for the registry host, but a token service on another host is verified,
// so the basic credentials never go to an unverified token server (security
// review I7). With the token server's CA in ca-file it works.
func TestNewClient_insecureCoversTheRegistryOnly(t *testing.T) {
	t.Parallel()
	var tokenRequests atomic.Int32
	tokens := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		fmt.Fprint(w, `{"token":"t0k3n"}`)
	}))
	tokens.StartTLS()
	t.Cleanup(tokens.Close)
	// The token service is on another host name than the registry:
	// 127.0.0.1 (its certificate names it) against localhost.
	realm := tokens.URL + "/token"
	reg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0k3n" {
			w.Header().Set("Www-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="reg"`, realm))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(reg.Close)
	host := strings.Replace(strings.TrimPrefix(reg.URL, "https://"), "127.0.0.1", "localhost", 1)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tokens.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cred := auth.StaticCredential(host, auth.Credential{Username: "robot$ci", Password: "s3cret"})

	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string // "" : the ping works
	}{
		{"insecure", Options{Insecure: true, Host: host}, "insecure skips verification for the registry host localhost only, not for 127.0.0.1"},
		{"insecure and the token service's CA", Options{Insecure: true, Host: host, CAFile: caFile}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tokenRequests.Load()
			tc.opts.Credential = cred
			client, err := NewClient(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			client.BlockedRealmPrefixes = []netip.Prefix{} // a realm on loopback, for the test
			err = ping(t, client, host, false)
			got := tokenRequests.Load() - before
			switch {
			case tc.wantErr == "" && (err != nil || got != 1):
				t.Errorf("ping = %v with %d token requests, want success with 1", err, got)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ping = %v, want an error containing %q", err, tc.wantErr)
			case tc.wantErr != "" && got != 0:
				t.Errorf("the unverified token service got %d requests (with the credentials)", got)
			}
		})
	}
}
