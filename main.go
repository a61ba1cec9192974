// Command pack-publish validates Spectro Cloud Palette packs, archives them
// reproducibly and publishes them to an OCI registry in the layout of ORAS
// v1.0.0. It runs as a GitHub Action, in GitLab CI and on a terminal.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/pack-publish/pack-publish/internal/action"
)

// actionYAML is the one list of inputs and outputs.
//
//go:embed action.yml
var actionYAML []byte

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
// Without it, the module version go records (go install ...@v1.2.3, or the
// commit of a checkout) stands in.
var version = "dev"

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pack-publish: %v\n", err)
		os.Exit(2)
	}
	code := action.Main(ctx, actionYAML, action.Env{
		Args: os.Args[1:], Getenv: os.Getenv, Environ: os.Environ(), Dir: dir,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: buildVersion(),
	})
	stop()
	os.Exit(code)
}
