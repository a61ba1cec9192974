package ecr

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// EnsureRepositories creates each repository in names that does not exist
// yet, in order, and returns those it created. A repository created
// concurrently by someone else counts as existing. All names are validated
// before any call. It is safe for concurrent use.
func (s *Session) EnsureRepositories(ctx context.Context, names []string) (created []string, err error) {
	var invalid []error
	for _, n := range names {
		if err := ValidateRepositoryName(n); err != nil {
			invalid = append(invalid, err)
		}
	}
	if len(invalid) > 0 {
		return nil, errors.Join(invalid...)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		ok, err := s.ensure(ctx, n)
		if err != nil {
			return created, s.secrets.Error(err)
		}
		if ok {
			created = append(created, n)
		}
	}
	return created, nil
}

// ensure creates the repository name when it is missing, reporting whether
// this call created it.
func (s *Session) ensure(ctx context.Context, name string) (bool, error) {
	_, err := s.describe(ctx, name)
	var notFound *types.RepositoryNotFoundException
	if err == nil || !errors.As(err, &notFound) {
		return false, err
	}
	_, err = s.client.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName: aws.String(name),
		RegistryId:     s.registryID(),
	})
	var exists *types.RepositoryAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		return false, nil // a concurrent creator won: fine
	case err != nil:
		return false, s.apiError("creating ECR repository "+name, "ecr:CreateRepository", s.repositoryARN(name),
			", or create the repository beforehand and set create-repositories: false", err)
	}
	return true, nil
}

// TagImmutable reports whether the repository name has immutable tags
// (IMMUTABLE or IMMUTABLE_WITH_EXCLUSION), in which case a published version
// can never be replaced.
func (s *Session) TagImmutable(ctx context.Context, name string) (bool, error) {
	if err := ValidateRepositoryName(name); err != nil {
		return false, err
	}
	r, err := s.describe(ctx, name)
	if err != nil {
		return false, s.secrets.Error(err)
	}
	m := r.ImageTagMutability
	return m == types.ImageTagMutabilityImmutable || m == types.ImageTagMutabilityImmutableWithExclusion, nil
}

// describe returns the repository, or an error wrapping
// *types.RepositoryNotFoundException when it is missing.
func (s *Session) describe(ctx context.Context, name string) (types.Repository, error) {
	out, err := s.client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{
		RepositoryNames: []string{name},
		RegistryId:      s.registryID(),
	})
	var notFound *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &notFound):
		return types.Repository{}, fmt.Errorf("describing ECR repository %s: %w", name, err)
	case err != nil:
		return types.Repository{}, s.apiError("describing ECR repository "+name, "ecr:DescribeRepositories", s.repositoryARN(name), "", err)
	case len(out.Repositories) == 0:
		return types.Repository{}, fmt.Errorf("describing ECR repository %s: the response lists no repository", name)
	}
	return out.Repositories[0], nil
}

func (s *Session) registryID() *string {
	if s.RegistryID == "" {
		return nil
	}
	return aws.String(s.RegistryID)
}

func (s *Session) repositoryARN(name string) string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition(s.Region), s.Region, cmp.Or(s.RegistryID, "<account>"), name)
}
