// Package ecrtest fakes the AWS services and the GitHub OIDC endpoint that
// package ecr talks to, for tests that drive the real aws-sdk-go-v2.
//
// New starts one httptest server answering STS (query protocol:
// AssumeRoleWithWebIdentity) and ECR (JSON 1.1: GetAuthorizationToken,
// DescribeRepositories, CreateRepository), recording every call. Point the
// SDK at it with Server.Setenv, which also isolates the test from the
// machine's AWS configuration. NewOIDC fakes GitHub's
// ACTIONS_ID_TOKEN_REQUEST_URL endpoint.
package ecrtest
