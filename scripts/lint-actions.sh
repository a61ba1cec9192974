#!/usr/bin/env bash
# lint-actions.sh: actionlint (with shellcheck) and @action-validator/cli on
# action.yml, every workflow and every example workflow, plus shellcheck on the
# scripts. The examples call the published action; actionlint checks them a
# second time with `uses: ./`, so their inputs and outputs are checked against
# action.yml. The release pin (release.yml) is validated on a copy too.
# Needs actionlint, shellcheck and npx on PATH (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in actionlint shellcheck npx git; do
	command -v "$tool" >/dev/null || { echo "lint-actions: $tool not found; .ci/run installs it" >&2; exit 1; }
done
validate() { # one file per call: that is how action-validator works
	echo "action-validator $1"
	npx --yes @action-validator/cli@0.6.0 "$1"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "actionlint .github/workflows"
actionlint
echo "actionlint examples"
actionlint examples/*.yml

echo "actionlint examples against action.yml"
mkdir -p "$tmp/examples/.github/workflows"
cp action.yml Dockerfile "$tmp/examples/"
git -C "$tmp/examples" init -q
for f in examples/*.yml; do
	grep -q 'uses: pack-publish/pack-publish@v1$' "$f" || { echo "$f does not use pack-publish/pack-publish@v1" >&2; exit 1; }
	sed 's#uses: pack-publish/pack-publish@v1$#uses: ./#' "$f" >"$tmp/examples/.github/workflows/${f#examples/}"
done
(cd "$tmp/examples" && actionlint)

for f in action.yml .github/workflows/*.yml examples/*.yml; do
	if grep -q '^ *attestations: write$' "$f"; then
		# 0.6.0's schema predates the `attestations` permission (2024); actionlint
		# checks permissions, so validate the rest without that line.
		mkdir -p "$tmp/validate/${f%/*}"
		sed '/^ *attestations: write$/d' "$f" >"$tmp/validate/$f"
		validate "$tmp/validate/$f"
	else
		validate "$f"
	fi
done

echo "action.yml as release.yml pins it"
mkdir -p "$tmp/pinned"
digest=sha256:$(printf 'x' | sha256sum | cut -d' ' -f1)
sed "s|^  image: Dockerfile\$|  image: docker://ghcr.io/pack-publish/pack-publish@$digest|" action.yml >"$tmp/pinned/action.yml"
grep -qx "  image: docker://ghcr.io/pack-publish/pack-publish@$digest" "$tmp/pinned/action.yml" ||
	{ echo "release.yml's pin no longer matches action.yml's 'image: Dockerfile' line" >&2; exit 1; }
validate "$tmp/pinned/action.yml"

echo "shellcheck scripts"
shellcheck scripts/*.sh
echo "lint-actions: ok"
