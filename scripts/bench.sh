#!/usr/bin/env bash
# Performance targets of BENCHMARKS.md, measured side by side as ratios.
# Usage: scripts/bench.sh [quick]   (quick: the smoke run .ci/run uses)
# Needs docker-registry and oras (installed by .ci/run) and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
gopath=$(go env GOPATH)
export PATH="$gopath/bin:$PATH"
quick=${1:-}

echo "== P1, P2: publishing through a 25 ms proxy and on loopback (docker-registry, ORAS CLI)"
if [ -n "$quick" ]; then
  go test ./internal/e2e -run '^$' -bench 'PerfP1$' -benchtime 1x | grep -E '^Benchmark'
else
  go test ./internal/e2e -run '^$' -bench 'Perf' -benchtime 1x -timeout 60m | grep -E '^Benchmark'
fi

echo "== P3: change detection, 2,000 packs and 20,000 commits, against git diff --name-only"
[ -n "$quick" ] || go test ./internal/changes -run '^$' -bench Detect -benchtime 5x | grep -E '^Benchmark'

echo "== lint: 200 packs, dry run, one core"
go test ./internal/pipeline -run '^$' -bench Lint200 -cpu 1 -benchtime 3x | grep -E '^Benchmark'

echo "== P4: peak RSS while publishing one large pack"
size_mib=2048
[ -n "$quick" ] && size_mib=128
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/pack-publish" .
mkdir -p "$work/ws/packs/big/manifests"
( cd "$work/ws"
  printf '{"name":"big","displayName":"Big","version":"1.0.0","layer":"addon","addonType":"monitoring","cloudTypes":["all"],"kubeManifests":["manifests/app.yaml"]}' > packs/big/pack.json
  printf 'pack:\n  namespace: big\n  content:\n    images:\n      - image: nginx\nmanifests:\n  app: {}\n' > packs/big/values.yaml
  printf 'kind: ConfigMap\n' > packs/big/manifests/app.yaml; printf 'png' > packs/big/logo.png; printf '# big\n' > packs/big/README.md
  # half text (compressible), half random (like chart archives)
  { yes 'key: a line of yaml that compresses well' || true; } | head -c $((size_mib / 2))M > packs/big/data.yaml
  head -c $((size_mib / 2))M /dev/urandom > packs/big/blob.bin )
port=$(( 20000 + RANDOM % 20000 ))
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/data}}\nhttp: {addr: 127.0.0.1:%s, secret: s}\n' "$work" "$port" > "$work/reg.yml"
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 & echo $! > "$work/pid"
sleep 1
( cd "$work/ws" && /usr/bin/time -f "P4: ${size_mib} MiB pack: %e s wall, peak RSS %M KiB" \
    "$work/pack-publish" --registry "127.0.0.1:$port" --plain-http --auth none --detect all --packs-dir packs >/dev/null )
