// Package changes decides which commits a run compares (from the base/head
// inputs, the GitHub event payload or GitLab's CI_* variables) and finds the
// pack folders that changed between them with the git CLI, fetching the
// history a shallow clone lacks.
package changes
