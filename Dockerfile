# pack-publish image: a static Go binary plus git (change detection shells out
# to it) and /bin/sh (GitLab CI runs job scripts with a shell).
#
# Multi-arch: the builder always runs on the build machine's platform and
# cross-compiles for TARGETOS/TARGETARCH, so only the small `apk add` step runs
# under emulation. The base images are build arguments so a mirror (or the
# locally made stand-ins of scripts/image-test.sh) can replace them. No
# BuildKit-only syntax: act builds `uses: ./` through the Docker API's classic
# builder.
#
# The base images are pinned by digest, so a release image can be rebuilt from
# its commit. To move to newer base images (monthly, or for a CVE in alpine),
# print the current multi-arch index digests and paste them here:
#   go run github.com/google/go-containerregistry/cmd/crane@v0.22.1 digest golang:1.26-bookworm
#   go run github.com/google/go-containerregistry/cmd/crane@v0.22.1 digest alpine:3.22
# then open a pull request; CI's self-test job builds the image from it.
ARG GO_IMAGE=golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d
ARG RUNTIME_IMAGE=alpine:3.22@sha256:14358309a308569c32bdc37e2e0e9694be33a9d99e68afb0f5ff33cc1f695dce

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
# The release workflow passes the tag; --version, the log, the summary and
# the report show it.
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/pack-publish .

FROM ${RUNTIME_IMAGE}
# git deepens shallow clones over HTTPS; the base image's CA bundle
# (ca-certificates-bundle) serves both git and the Go binary. Each git program
# outside the main binary links its own copy of libgit (1.5-2 MB apiece):
# the ones pack-publish never runs (servers, IMAP, dumb-HTTP, scalar) are
# removed in the same layer, keeping git-remote-http(s) for fetches.
RUN apk add --no-cache git \
 && cd "$(git --exec-path)" \
 && rm -f git-daemon git-http-backend git-http-fetch git-http-push git-imap-send \
          git-shell git-sh-i18n--envsubst scalar /usr/bin/scalar /usr/bin/git-shell
COPY --from=build /out/pack-publish /usr/local/bin/pack-publish
# No USER line: GitHub runs Docker actions as root, and the workspace it mounts
# belongs to the runner user; pack-publish passes `-c safe.directory=<workspace>`
# on each git call rather than trusting every directory here.
ENTRYPOINT ["/usr/local/bin/pack-publish"]
