# pack-publish image: a static Go binary plus git (change detection shells out
# to it) and /bin/sh (GitLab CI runs job scripts with a shell).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS=linux TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/pack-publish .

FROM alpine:3.22
RUN apk add --no-cache git ca-certificates
COPY --from=build /out/pack-publish /usr/local/bin/pack-publish
# No USER line: GitHub runs Docker actions as root, and the workspace it mounts
# belongs to the runner user; git is told which directory is safe per call.
ENTRYPOINT ["/usr/local/bin/pack-publish"]
