package action

import "github.com/pack-publish/pack-publish/internal/pipeline"

// commentMarker heads the comment-file: sticky-comment tools (and the GitLab
// example's job) find the comment an earlier run posted by it and update
// that one instead of adding another.
const commentMarker = "<!-- pack-publish -->"

// commentMarkdown is the preview posted on a pull or merge request: the
// step summary, which GitHub and GitLab render alike (GitLab Flavored
// Markdown takes the same tables, <details> and HTML entities), under the
// marker.
func commentMarkdown(res *pipeline.Result, version string) string {
	return commentMarker + "\n" + summaryMarkdown(res, version)
}
