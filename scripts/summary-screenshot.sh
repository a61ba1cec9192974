#!/usr/bin/env bash
# Renders the step-summary goldens (internal/action/testdata/summary*.md) the
# way a reviewer sees them on GitHub and screenshots each in headless
# chromium at desktop width (1280 px).
#
# Renderer: marked (GitHub Flavored Markdown) with GitHub's own light
# stylesheet (github-markdown-css), both at pinned versions from npm. Like
# GitHub, raw HTML outside an allow-list (details, summary, code, br, sub and
# the title attribute, which the summary uses) is dropped, so an escaping
# bug shows up as a broken page rather than as live HTML.
#
# Usage: scripts/summary-screenshot.sh [OUTDIR [SUMMARY.md...]]
#   OUTDIR defaults to /tmp/summary-screenshots; the files to the goldens (give
#   a real run's $GITHUB_STEP_SUMMARY to look at it).
# Needs node/npm and chromium (apt-get install -y nodejs npm chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-/tmp/summary-screenshots}
shift || true
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(internal/action/testdata/summary*.md)
mkdir -p "$out"
tools=${PACK_PUBLISH_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pack-publish-summary}
if [[ ! -f $tools/node_modules/marked/package.json || ! -f $tools/node_modules/github-markdown-css/package.json ]]; then
	mkdir -p "$tools"
	npm install --silent --no-audit --no-fund --prefix "$tools" marked@18.2.1 github-markdown-css@5.9.0 >/dev/null
fi
chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || { echo "chromium is missing: apt-get install -y chromium" >&2; exit 1; }

node - "$tools" "$out" "${files[@]}" <<'EOF'
const [tools, out, ...files] = process.argv.slice(2);
const fs = require('fs'), path = require('path');
const { marked } = require(path.join(tools, 'node_modules/marked'));
const css = fs.readFileSync(path.join(tools, 'node_modules/github-markdown-css/github-markdown-light.css'), 'utf8');
// GitHub's sanitizer keeps these tags (and title); anything else would be
// escaping gone wrong, so it is shown as text, loudly.
const allowed = new Set(['details', 'summary', 'code', 'br', 'sub', 'b', 'strong', 'em', 'p']);
marked.use({ gfm: true, renderer: {
  html({ text }) {
    if (/^<!--[\s\S]*-->\s*$/.test(text.trim())) return ''; // a comment (the comment-file's marker): invisible, as on GitHub
    const tag = /^<\/?([a-z]+)/i.exec(text.trim());
    if (tag && allowed.has(tag[1].toLowerCase()) && !/\son\w+=/i.test(text)) return text;
    return '<mark>UNSAFE HTML: ' + text.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</mark>';
  },
}});
for (const f of files) {
  const name = path.basename(f, '.md');
  const md = fs.readFileSync(f, 'utf8');
  for (const open of [false, true]) {
    let body = marked.parse(md);
    if (open) body = body.replace(/<details>/g, '<details open>');
    const html = `<!doctype html><html><head><meta charset="utf-8"><style>${css}
      body { background: #fff; margin: 0; }
      .box { max-width: 1012px; margin: 24px auto; border: 1px solid #d0d7de; border-radius: 6px; padding: 16px 24px; }
      </style></head><body><div class="box"><article class="markdown-body">${body}</article></div></body></html>`;
    fs.writeFileSync(path.join(out, name + (open ? '.open' : '') + '.html'), html);
  }
}
EOF

for f in "${files[@]}"; do
	for html in "$out/$(basename "$f" .md).html" "$out/$(basename "$f" .md).open.html"; do
		png=${html%.html}.png
		"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
			--window-size=1280,1400 --screenshot="$png" "file://$html" >/dev/null 2>&1
		echo "$png"
	done
done
