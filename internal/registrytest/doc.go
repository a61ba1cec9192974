// Package registrytest runs go-containerregistry's in-process registry
// (pkg/registry) over TLS for tests, behind the authentication real
// registries use, and records every request so tests can count them.
//
// Three kinds of authentication ([Options].Auth):
//   - [None]: anonymous.
//   - [Basic]: HTTP basic auth, as a CNCF distribution registry with htpasswd
//     (401 with `WWW-Authenticate: Basic realm="test"` unless the
//     credentials match).
//   - [Harbor]: Harbor's bearer-token flow: 401 with
//     `Bearer realm="https://<host>/service/token",service="harbor-registry"`
//     and the scope the request needs, and a token endpoint on the same
//     server that checks basic auth for the robot account (default user
//     `robot$ci`) and returns {"token": ...} granting the scopes asked for
//     that [Server.SetAccess] allows (default: all); a request whose token
//     does not grant its action on its repository gets 401 as from
//     distribution's token auth: `error="insufficient_scope"` and the scope
//     in the challenge, the access list in the body's detail. oras-go's auth.Client follows it without extra settings,
//     because the realm host equals the registry host.
//
// Cross-repository blob mounts (POST .../blobs/uploads/?mount=&from=) are
// carried out, as distribution and Harbor do, when the source holds the blob
// (and, on Harbor, the token may pull from it); otherwise they start an
// ordinary upload. [Server.Mounts] counts them.
//
// Usage, with the ca-file a user would give:
//
//	srv := registrytest.New(t, registrytest.Options{Auth: registrytest.Harbor})
//	client, _ := registry.NewClient(registry.Options{CAFile: srv.CAFile,
//		Credential: auth.StaticCredential(srv.Host, auth.Credential{Username: srv.Username, Password: srv.Password})})
//	repo, _ := registry.Repository(client, srv.Host, "team-a/spectro-packs/archive/demo", false)
//	... push ...
//	srv.Reset()
//	... re-run ...
//	if srv.BlobUploads() != 0 { t.Error("re-run uploaded blobs") }
//
// The server stops when the test ends. [Server.Requests] returns the log
// (method, path, status, whether it was part of a blob upload, user agent);
// [Server.Client] returns an *http.Client that trusts the certificate.
package registrytest
