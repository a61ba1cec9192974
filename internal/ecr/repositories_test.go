package ecr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"
	"github.com/pack-publish/pack-publish/internal/ecr/ecrtest"
)

const (
	archive = "team-a/spectro-packs/archive"
	hello   = "team-a/spectro-packs/archive/hello-universe"
)

// loginFake logs in through GitHub OIDC against a fake made from srv and
// returns the session, the fixture and the number of calls login made.
func loginFake(t *testing.T, srv ecrtest.Options) (*Session, *fixture, scenario, int) {
	t.Helper()
	sc := scenario{oidc: true, srv: srv, opts: Options{Registry: host, RoleToAssume: role}}
	f, opts := sc.setup(t)
	s, err := Login(context.Background(), opts)
	if err != nil {
		t.Fatalf("Login() = %v", err)
	}
	return s, f, sc, len(f.srv.Calls())
}

func TestSession_EnsureRepositories(t *testing.T) {
	describe, create := "ecr:DescribeRepositories", "ecr:CreateRepository"
	tests := []struct {
		name        string
		srv         ecrtest.Options
		names       []string
		want        []string // created
		wantActions []string // after login
		wantRepos   []string
		wantIs      error
		wantErr     []string
	}{
		{
			name:        "creates the missing ones",
			srv:         ecrtest.Options{Repositories: []string{archive}},
			names:       []string{archive, hello},
			want:        []string{hello},
			wantActions: []string{describe, describe, create},
			wantRepos:   []string{archive, hello},
		},
		{
			name:        "creates both on a first run, once each",
			names:       []string{archive, hello, archive},
			want:        []string{archive, hello},
			wantActions: []string{describe, create, describe, create},
			wantRepos:   []string{archive, hello},
		},
		{
			name:        "all exist",
			srv:         ecrtest.Options{Repositories: []string{archive}, Immutable: []string{hello}},
			names:       []string{archive, hello},
			wantActions: []string{describe, describe},
			wantRepos:   []string{archive, hello},
		},
		{
			name:        "a concurrent creator wins the race",
			srv:         ecrtest.Options{Repositories: []string{archive}, Racing: []string{hello}},
			names:       []string{archive, hello},
			wantActions: []string{describe, describe, create},
			wantRepos:   []string{archive, hello},
		},
		{
			name:    "invalid names, before any call",
			names:   []string{archive, "Team-A/spectro-packs/archive", "team-a//x", "a"},
			wantIs:  ErrInvalidRepositoryName,
			wantErr: []string{`"Team-A/spectro-packs/archive"`, `"team-a//x"`, `"a"`, "fix base-path or the pack name"},
		},
		{
			name:        "CreateRepository denied",
			srv:         ecrtest.Options{Repositories: []string{archive}, Errors: map[string]string{create: "AccessDeniedException"}},
			names:       []string{archive, hello},
			wantActions: []string{describe, describe, create},
			wantRepos:   []string{archive},
			wantIs:      ErrAccessDenied,
			wantErr: []string{"creating ECR repository " + hello, "may not call ecr:CreateRepository",
				"allow ecr:CreateRepository on arn:aws:ecr:eu-west-1:123456789012:repository/" + hello,
				"or create the repository beforehand and set create-repositories: false"},
		},
		{
			name:        "DescribeRepositories denied, session token echoed",
			srv:         ecrtest.Options{EchoSecrets: true, Errors: map[string]string{describe: "AccessDeniedException"}},
			names:       []string{archive},
			wantActions: []string{describe},
			wantIs:      ErrAccessDenied,
			wantErr:     []string{"describing ECR repository " + archive, "allow ecr:DescribeRepositories on arn:aws:ecr:eu-west-1:123456789012:repository/" + archive, "(session token REDACTED)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, f, sc, n := loginFake(t, tc.srv)
			got, err := s.EnsureRepositories(context.Background(), tc.names)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("EnsureRepositories() created (-want +got):\n%s", diff)
			}
			if (err != nil) != (tc.wantErr != nil) || tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Fatalf("EnsureRepositories() = %v, want error %v", err, tc.wantIs)
			}
			msg := fmt.Sprint(err)
			for _, w := range tc.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("EnsureRepositories() = %v\nwant it to contain %q", msg, w)
				}
			}
			calls := f.srv.Calls()[n:]
			var actions []string
			for _, c := range calls {
				actions = append(actions, c.Action)
				if c.KeyID != ecrtest.DefaultAccessKeyID || c.Region != "eu-west-1" || c.Params["registryId"] != "123456789012" {
					t.Errorf("%s signed by %q in %q for registry %v, want the assumed key in eu-west-1 for 123456789012", c.Action, c.KeyID, c.Region, c.Params["registryId"])
				}
			}
			if diff := cmp.Diff(tc.wantActions, actions); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, f.srv.Created()); diff != "" {
				t.Errorf("server created (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRepos, f.srv.Repositories()); diff != "" {
				t.Errorf("server repositories (-want +got):\n%s", diff)
			}
			f.checkSecrets(t, sc, msg, "token", "keys", "password")
		})
	}
}

// TestSession_EnsureRepositories_concurrent runs one call per pack at once,
// as the pipeline does: every repository ends up created exactly once.
func TestSession_EnsureRepositories_concurrent(t *testing.T) {
	s, f, _, _ := loginFake(t, ecrtest.Options{})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
	)
	want := []string{archive}
	for i := range 8 {
		name := fmt.Sprintf("%s/pack-%d", archive, i)
		want = append(want, name)
		wg.Go(func() {
			got, err := s.EnsureRepositories(context.Background(), []string{archive, name})
			if err != nil {
				t.Errorf("EnsureRepositories(%s) = %v", name, err)
			}
			mu.Lock()
			created = append(created, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(want)
	slices.Sort(created)
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, f.srv.Repositories()); diff != "" {
		t.Errorf("server repositories (-want +got):\n%s", diff)
	}
}

func TestSession_TagImmutable(t *testing.T) {
	s, f, _, _ := loginFake(t, ecrtest.Options{Repositories: []string{archive}, Immutable: []string{hello}})
	notFound := func(err error) bool { var e *types.RepositoryNotFoundException; return errors.As(err, &e) }
	invalid := func(err error) bool { return errors.Is(err, ErrInvalidRepositoryName) }
	tests := []struct {
		name    string
		want    bool
		wantErr func(error) bool
	}{
		{archive, false, nil},
		{hello, true, nil},
		{archive + "/missing", false, notFound},
		{"Bad", false, invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.TagImmutable(context.Background(), tc.name)
			if got != tc.want || (err != nil) != (tc.wantErr != nil) || err != nil && !tc.wantErr(err) {
				t.Errorf("TagImmutable(%q) = %v, %v, want %v (error %v)", tc.name, got, err, tc.want, tc.wantErr != nil)
			}
		})
	}
	if n := len(f.srv.Created()); n != 0 {
		t.Errorf("TagImmutable created %d repositories", n)
	}
}
