package registry

import (
	"crypto/x509"
	"errors"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Hint returns advice for an error from a registry call, or "" when none
// applies. The advice names the inputs to change; it never quotes the error.
func Hint(err error) string {
	if err == nil {
		return ""
	}
	var (
		resp     *errcode.ErrorResponse
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		s        = err.Error()
	)
	if errors.As(err, &resp) {
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			return "the registry refused the credentials: check username and password (a Harbor robot account is named like robot$ci), or the docker config entry for this host"
		case resp.StatusCode == http.StatusForbidden:
			return "the account may not push here: give it push permission on the project (Harbor: a project member or robot account with push) named in base-path"
		case resp.StatusCode == http.StatusNotFound && repositoryMissing(resp):
			return "the repository was not found: check base-path (a Harbor project must exist before packs are pushed to it)"
		case resp.StatusCode == http.StatusBadRequest && resp.URL != nil && resp.URL.Scheme == "http":
			return "the registry rejected a plain HTTP request: if it serves HTTPS, unset plain-http"
		case resp.StatusCode == http.StatusTooManyRequests:
			return "the registry is limiting requests: run again later or lower concurrency"
		case resp.StatusCode >= 500:
			return "the registry failed to answer: run again later; if it persists, check the registry's health"
		}
		return ""
	}
	switch {
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return "the registry asks for credentials and none were given: set username and password, or a docker config with an entry for this host"
	case errors.As(err, &unknown) || strings.Contains(s, "certificate signed by unknown authority"):
		return "the registry's certificate is not trusted: set ca-file to its CA bundle (or insecure: true to skip verification)"
	case errors.As(err, &hostname) || strings.Contains(s, "x509: certificate is valid for"):
		return "the registry's certificate does not name this host: give registry as the host name in the certificate (or insecure: true to skip verification)"
	case strings.Contains(s, "x509:") || strings.Contains(s, "tls: "):
		return "TLS failed: check the registry's certificate, set ca-file to its CA bundle, or set insecure: true"
	case strings.Contains(s, "server gave HTTP response to HTTPS client"):
		return "the registry serves plain HTTP: set plain-http: true"
	case strings.Contains(s, "connection refused"), strings.Contains(s, "no such host"),
		strings.Contains(s, "i/o timeout"), strings.Contains(s, "network is unreachable"):
		return "the registry is unreachable: check the registry input (host[:port]) and the network"
	}
	return ""
}

// repositoryMissing tells a missing repository or project (NAME_UNKNOWN,
// Harbor's NOT_FOUND, or a bare 404) from a missing blob or manifest.
func repositoryMissing(resp *errcode.ErrorResponse) bool {
	if len(resp.Errors) == 0 {
		return true
	}
	for _, e := range resp.Errors {
		if e.Code == errcode.ErrorCodeNameUnknown || e.Code == "NOT_FOUND" {
			return true
		}
	}
	return false
}
