package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"syscall"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// HintContext is what the caller knows about the run that an error alone
// does not say.
type HintContext struct {
	// Bearer: the registry asked for tokens (a token service: Harbor,
	// distribution with token auth, GHCR).
	Bearer bool
	// Credentials: the run sends credentials (basic, a docker config entry,
	// ECR).
	Credentials bool
	// Overwrite: the overwrite input is on, so a manifest PUT may replace a
	// published tag.
	Overwrite bool
}

// Hint returns advice for an error from a registry call, or "" when none
// applies, knowing nothing about the run (see HintFor).
func Hint(err error) string { return HintFor(err, HintContext{}) }

// HintFor returns advice for an error from a registry call, or "" when none
// applies. The advice names the inputs to change; it never quotes the error.
// Errors are matched by type (network, TLS, HTTP status) before text.
func HintFor(err error, c HintContext) string {
	if err == nil {
		return ""
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		return responseHint(resp, c)
	}
	var (
		stall    *StallError
		dns      *net.DNSError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		record   tls.RecordHeaderError
		netErr   net.Error
		s        = err.Error()
	)
	switch {
	case errors.As(err, &stall):
		return fmt.Sprintf("the registry accepted the connection but sent nothing for %s: check that %s is the registry (host[:port]) and that it is healthy, then run again", stall.Limit, stall.Host)
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return "the registry asks for credentials and none were given: set username and password, or a docker config with an entry for this host"
	case errors.As(err, &unknown):
		return "the registry's certificate is not trusted: set ca-file to its CA bundle (or insecure: true to skip verification)"
	case errors.As(err, &hostname):
		return "the registry's certificate does not name this host: give registry as the host name in the certificate (or insecure: true to skip verification)"
	case errors.As(err, &verify):
		return "the registry's certificate was refused: check it (expiry, chain), set ca-file to its CA bundle, or set insecure: true"
	case errors.As(err, &record), strings.Contains(s, "server gave HTTP response to HTTPS client"):
		return "the registry serves plain HTTP: set plain-http: true"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the registry is unreachable (connection refused): check the registry input (host[:port]) and that the registry is running"
	case errors.As(err, &dns):
		return "the registry host name does not resolve: check the registry input (host[:port]) and the runner's DNS"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "the registry is unreachable (no route to the host): check the registry input (host[:port]) and the network"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "the registry did not answer in time: check the registry input (host[:port]), the network and any firewall, then run again"
	// The same by text, for errors that went through a string (a wrapped
	// message from another library).
	case strings.Contains(s, "certificate signed by unknown authority"):
		return "the registry's certificate is not trusted: set ca-file to its CA bundle (or insecure: true to skip verification)"
	case strings.Contains(s, "x509: certificate is valid for"):
		return "the registry's certificate does not name this host: give registry as the host name in the certificate (or insecure: true to skip verification)"
	case strings.Contains(s, "x509:") || strings.Contains(s, "tls: "):
		return "TLS failed: check the registry's certificate, set ca-file to its CA bundle, or set insecure: true"
	case strings.Contains(s, "connection refused"), strings.Contains(s, "no such host"), strings.Contains(s, "network is unreachable"):
		return "the registry is unreachable: check the registry input (host[:port]) and the network"
	}
	return ""
}

// responseHint advises on an error response of the registry or of its
// token service.
func responseHint(resp *errcode.ErrorResponse, c HintContext) string {
	repo, action := apiRequest(resp)
	switch {
	case resp.StatusCode == http.StatusUnauthorized && repo != "" && c.Bearer && c.Credentials:
		// The token service took the credentials (a wrong password fails
		// at the token URL instead), but the token lacks a permission.
		return fmt.Sprintf("the token service accepted the credentials but granted no %s on %s: the account lacks that permission; "+
			"give it pull and push on <base-path>/spectro-packs/archive and every repository below it (Harbor: a robot account "+
			"with push on the project; a token server's ACL must match the nested names too)", actionsOf(resp, action), repo)
	case resp.StatusCode == http.StatusUnauthorized && repo != "" && c.Bearer:
		return fmt.Sprintf("the registry needs a login for %s on %s and none was given: set username and password, or a docker config entry for this host", action, repo)
	case resp.StatusCode == http.StatusUnauthorized:
		return "the registry refused the credentials: check username and password (a Harbor robot account is named like robot$ci), or the docker config entry for this host"
	case resp.StatusCode == http.StatusForbidden && action == "pull":
		return fmt.Sprintf("the account may not read %s: give it pull (read) and push on <base-path>/spectro-packs/archive and below; check that base-path is a project the account belongs to", orThere(repo))
	case resp.StatusCode == http.StatusForbidden && c.Overwrite && resp.Method == http.MethodPut && strings.Contains(resp.URL.Path, "/manifests/"):
		return fmt.Sprintf("the account may not write this tag of %s: replacing a published version needs the permission to update or overwrite tags (zot: update; Harbor: no tag immutability rule on it), and a new version needs push (zot: create)", orThere(repo))
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Sprintf("the account may not push to %s: give it push permission (zot: create; Harbor: a project member or robot account with push) on <base-path>/spectro-packs/archive and below", orThere(repo))
	case resp.StatusCode == http.StatusNotFound && repositoryMissing(resp):
		return "the repository was not found: check base-path (a Harbor project must exist before packs are pushed to it)"
	case resp.StatusCode == http.StatusBadRequest && resp.URL != nil && resp.URL.Scheme == "http" && len(resp.Errors) == 0:
		// A registry's own 400s carry error codes; a bare one to a plain
		// HTTP request is a TLS port answering.
		return "the registry rejected a plain HTTP request: if it serves HTTPS, unset plain-http"
	case resp.StatusCode == http.StatusTooManyRequests:
		return "the registry is limiting requests: run again later or lower concurrency"
	case resp.StatusCode >= 500:
		return "the registry failed to answer: run again later; if it persists, check the registry's health"
	}
	return ""
}

func orThere(repo string) string {
	if repo == "" {
		return "this repository"
	}
	return repo
}

// apiRequest returns the repository a registry API request named
// (/v2/NAME/manifests|blobs|tags/...) and the permission it needed: pull to
// read, push to write. A token service URL gives "".
func apiRequest(resp *errcode.ErrorResponse) (repo, action string) {
	action = "push"
	if resp.Method == http.MethodGet || resp.Method == http.MethodHead {
		action = "pull"
	}
	if resp.URL == nil {
		return "", action
	}
	rest, ok := strings.CutPrefix(resp.URL.Path, "/v2/")
	if !ok {
		return "", action
	}
	parts := strings.Split(rest, "/")
	for i := len(parts) - 2; i > 0; i-- {
		if parts[i] == "manifests" || parts[i] == "blobs" || parts[i] == "tags" {
			return strings.Join(parts[:i], "/"), action
		}
	}
	return "", action
}

// actionsOf returns the actions a denied request needed, from the access
// list a distribution registry puts in the error detail, else fallback.
func actionsOf(resp *errcode.ErrorResponse, fallback string) string {
	var actions []string
	for _, e := range resp.Errors {
		for _, a := range accessList(e.Detail) {
			for _, act := range a.actions {
				if !slices.Contains(actions, act) {
					actions = append(actions, act)
				}
			}
		}
	}
	if len(actions) == 0 {
		if fallback == "push" {
			return "pull,push"
		}
		return fallback
	}
	return strings.Join(actions, ",")
}

type access struct {
	name    string
	actions []string
}

// accessList reads distribution's error detail: a list of
// {Type, Class, Name, Action}, one entry per action.
func accessList(detail any) []access {
	list, ok := detail.([]any)
	if !ok {
		return nil
	}
	var out []access
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil
		}
		name, _ := m["Name"].(string)
		action, _ := m["Action"].(string)
		if name == "" || action == "" {
			return nil
		}
		i := slices.IndexFunc(out, func(a access) bool { return a.name == name })
		if i < 0 {
			out = append(out, access{name: name})
			i = len(out) - 1
		}
		if !slices.Contains(out[i].actions, action) {
			out[i].actions = append(out[i].actions, action)
		}
	}
	return out
}

// Readable returns err with the Go-formatted detail of registry error
// responses rewritten for people: distribution's access list
// `[map[Action:pull Class: Name:x Type:repository] ...]` becomes
// `(needs pull,push on x)`, a {"description": ...} map its text, anything
// else is left out. The result still unwraps to err.
func Readable(err error) error {
	var resp *errcode.ErrorResponse
	if err == nil || !errors.As(err, &resp) || len(resp.Errors) == 0 {
		return err
	}
	orig := resp.Errors.Error()
	var parts []string
	changed := false
	for _, e := range resp.Errors {
		if e.Detail == nil {
			parts = append(parts, e.Error())
			continue
		}
		changed = true
		plain := errcode.Error{Code: e.Code, Message: e.Message}.Error()
		switch d := e.Detail.(type) {
		case []any:
			if list := accessList(d); len(list) > 0 {
				var needs []string
				for _, a := range list {
					needs = append(needs, strings.Join(a.actions, ",")+" on "+a.name)
				}
				sort.Strings(needs)
				plain += " (needs " + strings.Join(needs, "; ") + ")"
			}
		case map[string]any:
			if desc, ok := d["description"].(string); ok && desc != "" {
				plain += " (" + desc + ")"
			}
		case string:
			plain += " (" + d + ")"
		}
		parts = append(parts, plain)
	}
	msg := err.Error()
	if !changed || !strings.Contains(msg, orig) {
		return err
	}
	return &readableError{msg: strings.Replace(msg, orig, strings.Join(parts, "; "), 1), err: err}
}

type readableError struct {
	msg string
	err error
}

func (e *readableError) Error() string { return e.msg }
func (e *readableError) Unwrap() error { return e.err }

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
