#!/usr/bin/env bash
# image-test.sh: build the real Dockerfile without a Docker daemon, check the
# image (static binary, git, /bin/sh, root, entrypoint, no blanket
# safe.directory, pull size), and run it the two ways users meet it, against a
# loopback Debian docker-registry with htpasswd and TLS:
#   1. as GitLab CI runs it: entrypoint cleared, the job script fed to the
#      image's shell, PACK_PUBLISH_* variables, outputs in the dotenv file;
#   2. through act over podman's Docker API: a workflow with `uses: ./`.
# The pushed artifacts are checked with oras, an independent client. Last, the
# builder stage is cross-compiled for linux/arm64.
#
# Registries are unreachable here, so the base images are stand-ins made
# locally (test-components.md §4.2): a Go image from the host's GOROOT and an
# "alpine:3.22" made of busybox, the host's git and an `apk` that only checks
# the requested packages are present. The Dockerfile itself is built unchanged.
#
# Needs (installed by .ci/run): buildah podman runc busybox-static
# docker-registry apache2-utils openssl jq binutils, and oras and act on PATH.
# Every process it starts is stopped by PID; all state lives in $WORK, which is
# wiped before and after, so re-runs start clean.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${PACK_PUBLISH_IMAGE_TEST_DIR:-/tmp/pack-publish-image-test}
[[ $WORK == /?*/?* ]] || { echo "image-test: PACK_PUBLISH_IMAGE_TEST_DIR must be an absolute path below /" >&2; exit 2; }
SECONDS=0

IMAGE=localhost/pack-publish:image-test
GO_STANDIN=localhost/image-test/golang:1.26-bookworm
RUNTIME_STANDIN=localhost/image-test/alpine:3.22
# shellcheck disable=SC2016 # a literal $: Harbor robot accounts carry one
USER_NAME='robot$ci'
PASSWORD=image-test-Pa55
SIZE_BUDGET=$((30 * 1000 * 1000))

log() { printf '\n--- %s (%ss)\n' "$*" "$SECONDS"; }
fail() {
	echo "image-test: FAIL: $*" >&2
	exit 1
}
for tool in buildah podman runc busybox docker-registry htpasswd openssl jq oras act readelf; do
	command -v "$tool" >/dev/null || fail "$tool not found; .ci/run installs it"
done

export CONTAINERS_STORAGE_CONF=$WORK/storage.conf CONTAINERS_CONF=$WORK/containers.conf
export TMPDIR=$WORK/tmp # buildah and podman scratch files

# ---- processes and cleanup -------------------------------------------------

pids=()
stop_pid() { # stop one process we started, by PID
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
}
ours() { # is PID a process whose command line names this test's folder?
	{ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$WORK/"
}
# Processes that name this test's folder: conmon (podman's container monitor
# detaches from us) and whatever an interrupted run left behind.
stop_leftovers() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		((p != $$ && p != BASHPID)) && ours "$p" && stop_pid "$p"
	done
	return 0
}
reset_work() {
	if [[ -f $WORK/storage.conf ]]; then
		local f
		for f in "$WORK"/*.pid; do # the services of an interrupted run, if still ours
			[[ -f $f ]] && ours "$(cat "$f")" && stop_pid "$(cat "$f")"
		done
		podman rm --all --force --time 0 >/dev/null 2>&1 || true
		buildah rm --all >/dev/null 2>&1 || true
		stop_leftovers
		podman system reset --force >/dev/null 2>&1 || true
	fi
	if [[ -d $WORK ]]; then # anything still mounted below $WORK (overlay layers)
		awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
		rm -rf "$WORK"
	fi
}
cleanup() {
	local rc=$?
	set +e
	for p in "${pids[@]}"; do stop_pid "$p"; done
	if ((rc != 0)); then
		echo "image-test: failed after ${SECONDS}s; logs:" >&2
		for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }; done
	fi
	reset_work
	echo "image-test: $([[ $rc == 0 ]] && echo passed || echo FAILED) in ${SECONDS}s wall time (cleanup included)"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

reset_work
mkdir -p "$WORK"/{containers/run,containers/storage,tmp,reg}
cat >"$WORK/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$WORK/containers/run"
graphroot = "$WORK/containers/storage"
EOF
# No CAP_SYS_RESOURCE and hybrid cgroups here: runc with explicit ulimits.
cat >"$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
tmp_dir = "$WORK/containers/libpod"
[network]
network_config_dir = "$WORK/containers/networks"
EOF

# ---- stand-in base images --------------------------------------------------

log "stand-in base images"
# busybox_root DIR: /bin/sh and the usual applets, root in /etc/passwd, /tmp.
busybox_root() {
	mkdir -p "$1"/{bin,etc/ssl/certs,tmp,root,usr/local/bin}
	chmod 1777 "$1/tmp"
	cp "$(command -v busybox)" "$1/bin/busybox"
	local a
	for a in $(busybox --list); do [[ -e $1/bin/$a ]] || ln -s busybox "$1/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$1/etc/passwd"
	echo 'root:x:0:' >"$1/etc/group"
	cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/"
}
new_image() { # new_image NAME SETUP-FUNCTION CONFIG-ARGS...
	local name=$1 setup=$2 c m
	shift 2
	c=$(buildah from scratch)
	m=$(buildah mount "$c")
	"$setup" "$m"
	buildah umount "$c" >/dev/null
	buildah config "$@" "$c"
	buildah commit --quiet --rm "$c" "$name" >/dev/null
}

go_root() {
	busybox_root "$1"
	mkdir -p "$1/usr/local" "$1/go"
	# The toolchain and the standard library's sources; no tests, no cmd/ sources.
	tar -C "$(dirname "$(go env GOROOT)")" --exclude=go/test --exclude=go/api --exclude=go/src/cmd \
		--exclude=testdata --exclude='*_test.go' -cf - "$(basename "$(go env GOROOT)")" |
		tar -C "$1/usr/local" -xf -
	[[ -d $1/usr/local/go ]] || mv "$1/usr/local/$(basename "$(go env GOROOT)")" "$1/usr/local/go"
}
new_image "$GO_STANDIN" go_root --workingdir /go --env GOPATH=/go --env GOTOOLCHAIN=local \
	--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

runtime_root() {
	busybox_root "$1"
	local execdir lib
	execdir=$(git --exec-path)
	# The whole of the host's git, as `apk add git` brings all of Alpine's:
	# the Dockerfile's removal of the programs pack-publish never runs is
	# then exercised and checked below.
	mkdir -p "$1/usr/bin" "$(dirname "$1$execdir")" "$1/sbin"
	cp -a "$execdir" "$1$execdir"
	ln -f "$1$execdir/git" "$1/usr/bin/git" # one file, as git's own `make install` links it
	for lib in $(find /usr/bin/git "$execdir" -type f -perm -u+x -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -exec ldd {} + |
		awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
		cp -L --parents "$lib" "$1"
	done
	cat >"$1/sbin/apk" <<'EOF'
#!/bin/sh
# Stand-in for Alpine's apk (scripts/image-test.sh): the packages were copied in
# beforehand because no package mirror is reachable; this checks they are here.
[ "$1" = add ] || { echo "apk stand-in: only 'add' is supported" >&2; exit 1; }
shift
for p; do
	case $p in
	-*) ;;
	git) command -v git >/dev/null || { echo "apk stand-in: git is missing" >&2; exit 1; } ;;
	*) echo "apk stand-in: no package $p in this image" >&2; exit 1 ;;
	esac
done
EOF
	chmod 755 "$1/sbin/apk"
}
new_image "$RUNTIME_STANDIN" runtime_root --cmd /bin/sh \
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# act builds the action's Dockerfile itself, without build arguments: give
# the stand-ins the default names as well.
buildah tag "$GO_STANDIN" docker.io/library/golang:1.26-bookworm
buildah tag "$RUNTIME_STANDIN" docker.io/library/alpine:3.22

# ---- build -----------------------------------------------------------------

log "buildah bud (the real Dockerfile, linux/amd64)"
buildah bud --quiet --layers --pull=never --isolation chroot --platform linux/amd64 \
	--build-arg GO_IMAGE="$GO_STANDIN" --build-arg RUNTIME_IMAGE="$RUNTIME_STANDIN" \
	-t "$IMAGE" . >"$WORK/build.log" 2>&1 || fail "build failed: $(tail -n 20 "$WORK/build.log")"

log "image checks"
cfg=$(podman image inspect "$IMAGE")
[[ $(jq -c '.[0].Config.Entrypoint' <<<"$cfg") == '["/usr/local/bin/pack-publish"]' ]] ||
	fail "entrypoint: $(jq -c '.[0].Config.Entrypoint' <<<"$cfg")"
[[ $(jq -r '.[0].Config.User // ""' <<<"$cfg") =~ ^(|root|0|0:0)$ ]] || fail "image must run as root"
bin=$WORK/pack-publish
c=$(buildah from "$IMAGE")
cp "$(buildah mount "$c")/usr/local/bin/pack-publish" "$bin"
buildah umount "$c" >/dev/null
buildah rm "$c" >/dev/null
elf=$(readelf -h -l -S "$bin")
grep -q 'Machine:.*X86-64' <<<"$elf" || fail "binary is not linux/amd64"
! grep -q INTERP <<<"$elf" || fail "binary is dynamically linked"
! grep -q '\.symtab' <<<"$elf" || fail "binary is not stripped (-s -w)"
podman run --rm --entrypoint '' "$IMAGE" sh -c '
	set -e
	test "$(id -u)" = 0
	git --version
	test -z "$(git config --system --get-all safe.directory || true)"
	test -z "$(git config --global --get-all safe.directory || true)"
	test -x /usr/local/bin/pack-publish
	# the git programs the Dockerfile removes are gone, HTTPS fetches remain
	cd "$(git --exec-path)"
	for p in git-daemon git-http-backend git-http-fetch git-http-push git-imap-send git-shell git-sh-i18n--envsubst scalar; do
		if test -e "$p"; then echo "$p is still in the image"; exit 1; fi
	done
	out=$(git ls-remote https://127.0.0.1:1/none.git 2>&1 || true)
	case $out in *"unable to access"*) ;; *) echo "git has no working HTTPS transport: $out"; exit 1 ;; esac
	echo "git programs left (bytes, hard links once): $(find . /usr/bin/git -type f -exec stat -c "%i %s" {} + | sort -u | awk "{s += \$2} END {print s}")"
	' >"$WORK/checks.log" 2>&1 ||
	fail "runtime checks: $(cat "$WORK/checks.log")"
cat "$WORK/checks.log"
echo "binary: $(stat -c %s "$bin") bytes"

# ---- registry --------------------------------------------------------------

log "docker-registry (htpasswd + TLS) on loopback"
port=
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 20000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[[ -n $port ]] || fail "no free port"
REG=127.0.0.1:$port
CA=$WORK/reg/cert.pem
htpasswd -Bbn "$USER_NAME" "$PASSWORD" >"$WORK/reg/htpasswd"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/reg/key.pem" -out "$CA" -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
cat >"$WORK/reg/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/reg/data}, delete: {enabled: true}}
http:
  addr: $REG
  secret: image-test
  tls: {certificate: $CA, key: $WORK/reg/key.pem}
auth: {htpasswd: {realm: image-test, path: $WORK/reg/htpasswd}}
EOF
docker-registry serve "$WORK/reg/config.yml" >"$WORK/registry.log" 2>&1 &
pids+=($!)
echo $! >"$WORK/registry.pid"
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
export DOCKER_CONFIG=$WORK/oras # oras keeps its login here, not in ~/.docker
printf '%s' "$PASSWORD" | oras login --ca-file "$CA" -u "$USER_NAME" --password-stdin "$REG" >/dev/null ||
	fail "registry did not come up on $REG"
oras_() { oras "$@" --ca-file "$CA"; }

# check_artifact REF DIGEST TOP: the manifest the registry holds for REF has
# DIGEST and the ORAS v1.0 shape (config `{}`), and its layer unpacks to the
# one folder TOP.
check_artifact() {
	local ref=$1 digest=$2 top=$3 desc manifest out=$WORK/pull/$3
	desc=$(oras_ manifest fetch --descriptor "$ref") || fail "$ref is not in the registry"
	[[ $(jq -r .digest <<<"$desc") == "$digest" ]] || fail "$ref: registry has $(jq -r .digest <<<"$desc"), output says $digest"
	manifest=$(oras_ manifest fetch "$ref")
	jq -e --arg title "${ref##*/}" '
		.mediaType == "application/vnd.oci.image.manifest.v1+json" and (has("artifactType") | not) and
		.config.mediaType == "application/vnd.unknown.config.v1+json" and .config.size == 2 and
		.config.digest == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" and
		(.layers | length) == 1 and
		.layers[0].mediaType == "application/vnd.oci.image.layer.v1.tar" and
		.layers[0].annotations["org.opencontainers.image.title"] == ($title | sub(":"; "-")) + ".tar.gz" and
		(.annotations["org.opencontainers.image.created"] | length) > 0' <<<"$manifest" >/dev/null ||
		fail "$ref: not the ORAS v1.0 layout: $manifest"
	mkdir -p "$out"
	oras_ pull --output "$out" "$ref" >/dev/null
	[[ $(tar -tzf "$out"/*.tar.gz | cut -d/ -f1 | sort -u) == "$top" ]] || fail "$ref: archive is not one folder $top"
}

# ---- size ------------------------------------------------------------------

log "image size"
podman push --quiet --tls-verify=false --creds "$USER_NAME:$PASSWORD" "$IMAGE" "docker://$REG/image-test/pack-publish:amd64"
pulled=$(oras_ manifest fetch "$REG/image-test/pack-publish:amd64" | jq '[.config.size, .layers[].size] | add')
unpacked=$(podman image inspect --format '{{.Size}}' "$IMAGE")
standin=$(podman image inspect --format '{{.Size}}' "$RUNTIME_STANDIN")
echo "image: $pulled bytes to pull, $unpacked unpacked (the stand-in base: $standin unpacked, carrying Debian's whole git, glibc programs and their libraries)"
((pulled <= SIZE_BUDGET)) || fail "the image is $pulled bytes to pull; the budget is $SIZE_BUDGET"

# ---- a pack repository with two commits ------------------------------------

# make_repo DIR PACKS: PACKS/hello-universe and PACKS/hello-constraints, then
# a second commit that bumps hello-universe to 1.0.1.
make_repo() {
	mkdir -p "$1/$2"
	cp -r testdata/packs/hello-universe testdata/packs/hello-constraints "$1/$2/"
	git -C "$1" init -q -b main
	git -C "$1" add -A
	git -C "$1" -c user.name=ci -c user.email=ci@example.com commit -q -m "add packs"
	sed -i 's/"version": "1.0.0"/"version": "1.0.1"/' "$1/$2/hello-universe/pack.json"
	echo "# 1.0.1" >>"$1/$2/hello-universe/README.md"
	git -C "$1" -c user.name=ci -c user.email=ci@example.com commit -q -am "hello-universe 1.0.1"
}

# ---- 1. as GitLab runs it --------------------------------------------------

log "GitLab: the job script through sh, PACK_PUBLISH_* variables, entrypoint [\"\"]"
repo=$WORK/gitlab/project
make_repo "$repo" packs
before=$(git -C "$repo" rev-parse HEAD~1)
after=$(git -C "$repo" rev-parse HEAD)
# The runner's checkout belongs to another user than the job (dubious ownership).
chown -R 1000:1000 "$repo"
gitlab_job() {
	podman run --rm --network host --entrypoint '' \
		-v "$repo:/builds/acme/packs" -w /builds/acme/packs -v "$CA:/etc/registry-ca.pem:ro" \
		-e GITLAB_CI=true -e CI=true -e CI_PROJECT_DIR=/builds/acme/packs -e CI_PIPELINE_SOURCE=push \
		-e CI_COMMIT_BEFORE_SHA="$before" -e CI_COMMIT_SHA="$after" -e CI_COMMIT_BRANCH=main \
		-e PACK_PUBLISH_PACKS_DIR=packs -e PACK_PUBLISH_REGISTRY="$REG" -e PACK_PUBLISH_BASE_PATH=gitlab-team \
		-e PACK_PUBLISH_USERNAME="$USER_NAME" -e PACK_PUBLISH_PASSWORD="$PASSWORD" \
		-e PACK_PUBLISH_CA_FILE=/etc/registry-ca.pem \
		-i "$IMAGE" sh -c "$gitlab_shell" <<<$'set -eo pipefail\npack-publish\n'
}
# What GitLab's Docker executor runs in a job image whose entrypoint is cleared:
# it looks for a shell and feeds it the job script on standard input.
# shellcheck disable=SC2016 # expanded by the job's shell
gitlab_shell='for s in /usr/local/bin/bash /usr/bin/bash /bin/bash /usr/local/bin/sh /usr/bin/sh /bin/sh /busybox/sh; do
	if [ -x "$s" ]; then exec "$s"; fi
done
echo shell not found; exit 1'
gitlab_job >"$WORK/gitlab.log" 2>&1 || fail "GitLab job failed: $(cat "$WORK/gitlab.log")"
cat "$WORK/gitlab.log"
! grep -qF "$PASSWORD" "$WORK/gitlab.log" "$repo/pack-publish.env" || fail "the password was printed"
dotenv() { sed -n "s/^PACK_PUBLISH_$1=//p" "$repo/pack-publish.env"; }
[[ $(dotenv ANY_CHANGED) == true ]] || fail "dotenv ANY_CHANGED: $(dotenv ANY_CHANGED)"
[[ $(dotenv CHANGED_PACKS) == '["packs/hello-universe"]' ]] || fail "dotenv CHANGED_PACKS: $(dotenv CHANGED_PACKS)"
[[ $(dotenv BASE_SHA) == "$before" && $(dotenv HEAD_SHA) == "$after" ]] || fail "dotenv BASE_SHA/HEAD_SHA"
[[ $(dotenv MATRIX) == '{"include":[{"path":"packs/hello-universe","name":"hello-universe","version":"1.0.1"}]}' ]] ||
	fail "dotenv MATRIX: $(dotenv MATRIX)"
ref=$REG/gitlab-team/spectro-packs/archive/hello-universe:1.0.1
jq -e --arg ref "$ref" 'length == 1 and .[0].status == "pushed" and .[0].reference == $ref' <<<"$(dotenv PUBLISHED)" >/dev/null ||
	fail "dotenv PUBLISHED: $(dotenv PUBLISHED)"
check_artifact "$ref" "$(dotenv PUBLISHED | jq -r '.[0].digest')" hello-universe
! oras_ manifest fetch "$REG/gitlab-team/spectro-packs/archive/hello-constraints:2.1.0" >/dev/null 2>&1 ||
	fail "an unchanged pack was published"
grep -qx archive <<<"$(oras_ repo ls "$REG/gitlab-team/spectro-packs")" || fail "no base-path artifact in gitlab-team/spectro-packs/archive"

log "GitLab: the same job again (nothing to upload)"
gitlab_job >"$WORK/gitlab2.log" 2>&1 || fail "GitLab re-run failed: $(cat "$WORK/gitlab2.log")"
[[ $(dotenv PUBLISHED | jq -r '.[0].status') == unchanged ]] || fail "re-run: $(dotenv PUBLISHED)"

# ---- 2. through act over podman's Docker API -------------------------------

log "act over podman's Docker API, uses: ./"
podman system service --time=0 "unix://$WORK/podman.sock" >"$WORK/podman.log" 2>&1 &
pids+=($!)
echo $! >"$WORK/podman.pid"
export DOCKER_HOST=unix://$WORK/podman.sock
for _ in $(seq 100); do
	[[ -S $WORK/podman.sock ]] && break
	sleep 0.1
done
# act runs the job in this image (tail, sh) and the action in its own image.
new_image localhost/image-test/actrunner:latest busybox_root --cmd /bin/sh \
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The action's repository: its sources as checked out here, plus packs, the
# registry's CA and a workflow, all where .dockerignore keeps them out of the
# image. act needs a git repository with commits. It builds the Dockerfile
# itself, through the Docker API, before running the step.
act_repo=$WORK/act/repo
fixtures=testdata/image-test
mkdir -p "$act_repo"
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -xf - -C "$act_repo"
rm -rf "$act_repo/.github/workflows" "${act_repo:?}/$fixtures"
# The Dockerfile pins its base images by digest; the stand-ins have digests of
# their own, so act's copy names them by tag (as tagged above).
for arg in GO_IMAGE RUNTIME_IMAGE; do
	grep -Eq "^ARG $arg=[^@ ]+@sha256:[0-9a-f]{64}\$" Dockerfile ||
		fail "the Dockerfile's base image $arg must be pinned by digest (ARG $arg=name:tag@sha256:...)"
done
sed -i -E 's/^(ARG [A-Z_]+_IMAGE=[^@ ]+)@sha256:[0-9a-f]{64}$/\1/' "$act_repo/Dockerfile"
make_repo "$act_repo" "$fixtures/packs" # the action's files go into the first commit
cp "$CA" "$act_repo/$fixtures/registry-ca.pem"
mkdir -p "$act_repo/.github/workflows"
cat >"$act_repo/.github/workflows/image-test.yml" <<'EOF'
name: image-test
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    defaults:
      run:
        shell: sh # the stand-in runner image has busybox, no bash
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - id: packs
        uses: ./
        with:
          packs-dir: testdata/image-test/packs
          registry: ${{ vars.REGISTRY }}
          base-path: act-team
          username: robot$ci
          password: ${{ secrets.REGISTRY_PASSWORD }}
          ca-file: testdata/image-test/registry-ca.pem
      - name: Outputs
        env:
          PUBLISHED: ${{ steps.packs.outputs.published }}
          CHANGED: ${{ steps.packs.outputs.changed-packs }}
          ANY_CHANGED: ${{ steps.packs.outputs.any-changed }}
          BASE_SHA: ${{ steps.packs.outputs.base-sha }}
          HEAD_SHA: ${{ steps.packs.outputs.head-sha }}
        run: |
          test "$ANY_CHANGED" = true
          echo "OUT published=$PUBLISHED"
          echo "OUT changed-packs=$CHANGED"
          echo "OUT base-sha=$BASE_SHA"
          echo "OUT head-sha=$HEAD_SHA"
EOF
git -C "$act_repo" add -A
git -C "$act_repo" -c user.name=ci -c user.email=ci@example.com commit -q -m "image-test workflow"
# The push event: hello-universe changed between the first commit and HEAD.
before=$(git -C "$act_repo" rev-list --max-parents=0 HEAD)
after=$(git -C "$act_repo" rev-parse HEAD)
printf '{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"default_branch":"main"}}\n' \
	"$before" "$after" >"$WORK/act/event.json"
mkdir -p "$WORK/act/xdg/act"
echo '-P ubuntu-latest=localhost/image-test/actrunner:latest' >"$WORK/act/xdg/act/actrc"
(cd "$act_repo" && XDG_CONFIG_HOME=$WORK/act/xdg timeout 420 act push \
	-W .github/workflows/image-test.yml -e "$WORK/act/event.json" --pull=false \
	--var REGISTRY="$REG" -s REGISTRY_PASSWORD="$PASSWORD" </dev/null) >"$WORK/act.log" 2>&1 ||
	fail "act failed: $(tail -n 40 "$WORK/act.log")"
grep -E 'OUT |Success|Job succeeded' "$WORK/act.log" || true
out() { sed -n "s/.*| OUT $1=//p" "$WORK/act.log" | tr -d '\r'; }
[[ $(out changed-packs) == "[\"$fixtures/packs/hello-universe\"]" ]] || fail "act output changed-packs: $(out changed-packs)"
[[ $(out base-sha) == "$before" && $(out head-sha) == "$after" ]] || fail "act outputs base-sha/head-sha"
ref=$REG/act-team/spectro-packs/archive/hello-universe:1.0.1
jq -e --arg ref "$ref" 'length == 1 and .[0].status == "pushed" and .[0].reference == $ref' <<<"$(out published)" >/dev/null ||
	fail "act output published: $(out published)"
check_artifact "$ref" "$(out published | jq -r '.[0].digest')" hello-universe
! grep -qF "$PASSWORD" "$WORK/act.log" || fail "the password was printed"
grep -q 'act-dockeraction:latest$' <<<"$(podman images --format '{{.Repository}}:{{.Tag}}')" ||
	fail "act did not build the action's image through podman"

# ---- linux/arm64 -----------------------------------------------------------

log "buildah bud --platform linux/arm64 --target build (cross-compiled on the build platform)"
# buildah 1.28 leaves BUILDPLATFORM empty in FROM lines (BuildKit sets it).
buildah bud --quiet --layers --pull=never --isolation chroot --platform linux/arm64 --target build \
	--build-arg BUILDPLATFORM=linux/amd64 --build-arg GO_IMAGE="$GO_STANDIN" -t localhost/pack-publish:image-test-arm64-build . \
	>"$WORK/build-arm64.log" 2>&1 || fail "arm64 build failed: $(tail -n 20 "$WORK/build-arm64.log")"
c=$(buildah from --pull=never --platform linux/arm64 localhost/pack-publish:image-test-arm64-build)
grep -q 'Machine:.*AArch64' <<<"$(readelf -h "$(buildah mount "$c")/out/pack-publish")" || fail "arm64 binary is not AArch64"
buildah umount "$c" >/dev/null
buildah rm "$c" >/dev/null

