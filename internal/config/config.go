package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pack-publish/pack-publish/internal/ecr"
	"github.com/pack-publish/pack-publish/internal/pack"
	"github.com/pack-publish/pack-publish/internal/palette"
	"github.com/pack-publish/pack-publish/internal/spell"
)

// DefaultConcurrency is the number of packs processed at once when the
// concurrency input is empty (see BENCHMARKS.md for the measurements).
const DefaultConcurrency = 16

// Auth modes accepted by the auth input.
var authModes = []string{"auto", "basic", "docker-config", "ecr", "none"}

// Config is every input, parsed and validated.
type Config struct {
	Workspace    string   // absolute; GITHUB_WORKSPACE, CI_PROJECT_DIR or the working directory
	PacksDirs    []string // slash-separated, relative to Workspace, cleaned
	Packs        []string // explicit pack folders, same form; non-empty skips detection
	Detect       string   // "changed" or "all"
	Base, Head   string
	Registry     string
	BasePath     string // without leading or trailing slashes
	Auth         string
	Username     string
	Password     string
	DockerConfig string // absolute or empty
	PlainHTTP    bool
	Insecure     bool
	CAFile       string // absolute or empty
	Overwrite    bool
	DryRun       bool
	OCILayout    string // absolute or empty
	Concurrency  int
	Strict       bool
	// IgnoreRules are the validation rules not checked (ignore-rules).
	IgnoreRules pack.Ignore
	// CheckVersionIncrement: a pack changed between base and head must raise
	// its version.
	CheckVersionIncrement bool
	ReportFile            string // absolute or empty
	CommentFile           string // absolute or empty: the preview as a pull-request comment
	DotenvFile            string // absolute or empty
	// Timeout bounds the whole run (the timeout input).
	Timeout time.Duration

	// Warnings are problems that do not stop the run: INPUT_* variables
	// that action.yml does not declare (GitHub warns about the with: key,
	// but the step still runs).
	Warnings []string

	// AWS ECR (auth: ecr).
	AWSRegion            string
	RoleToAssume         string
	RoleSessionName      string
	Audience             string
	WebIdentityTokenFile string // absolute or empty
	CreateRepositories   bool

	// Palette: with PaletteAPIKey set, sync PaletteRegistry after the run.
	PaletteURL      string
	PaletteAPIKey   string
	PaletteRegistry string
	PaletteTimeout  time.Duration
}

// Secrets returns the secret values of the configuration, to be masked before
// anything is printed.
func (c *Config) Secrets() []string {
	var s []string
	if c.Password != "" {
		// A registry may echo the Authorization header: user:password in base64.
		s = append(s, c.Password, base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password)))
	}
	if c.PaletteAPIKey != "" {
		s = append(s, c.PaletteAPIKey)
	}
	return s
}

// Source is where inputs come from: command-line flags, then INPUT_<NAME>
// (GitHub), then PACK_PUBLISH_<NAME>, then the default declared in action.yml.
type Source struct {
	Args   []string
	Getenv func(string) string
	Dir    string // the working directory, absolute
	// Environ is the whole environment (KEY=value), checked for
	// PACK_PUBLISH_* and INPUT_* names that are no input; nil checks nothing.
	Environ []string
	// Stdin is read by --password-stdin.
	Stdin io.Reader
}

// ErrHelp is returned by Load when --help was asked for.
var ErrHelp = flag.ErrHelp

// ErrVersion is returned by Load when --version was asked for.
var ErrVersion = errors.New("version requested")

// cliFlags are flags of the command line that are not inputs.
const (
	flagVersion       = "version"
	flagPasswordStdin = "password-stdin"
)

// maxPasswordBytes bounds what --password-stdin reads.
const maxPasswordBytes = 64 << 10

// InputError is a problem with one input. Load joins all of them.
type InputError struct {
	Input string
	Msg   string
}

func (e *InputError) Error() string {
	if e.Input == "" {
		return e.Msg
	}
	return fmt.Sprintf("input %s: %s", e.Input, e.Msg)
}

// Load reads every input declared in spec from src and validates them all,
// returning every problem at once (errors.Join of *InputError). Secret values
// never appear in the errors.
func Load(spec Spec, src Source) (*Config, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	flags, err := parseFlags(spec, src.Args)
	if err != nil {
		return nil, err
	}
	if _, ok := flags[flagVersion]; ok {
		return nil, ErrVersion
	}
	l := loader{spec: spec, flags: flags, getenv: getenv}
	if _, ok := flags[flagPasswordStdin]; ok {
		delete(flags, flagPasswordStdin)
		l.passwordStdin(src.Stdin)
	}
	warnings := l.checkEnviron(src.Environ, getenv("GITHUB_ACTIONS") == "true")

	c := &Config{
		Detect:   l.oneOf("detect", "changed", "all"),
		Base:     l.str("base"),
		Head:     l.str("head"),
		Registry: l.str("registry"),
		BasePath: strings.Trim(l.str("base-path"), "/"),
		Auth:     l.oneOf("auth", authModes...),
		Username: l.str("username"),
		Password: l.raw("password"),

		PlainHTTP: l.boolean("plain-http"),
		Insecure:  l.boolean("insecure"),
		Overwrite: l.boolean("overwrite"),
		DryRun:    l.boolean("dry-run"),
		Strict:    l.boolean("strict"),

		CheckVersionIncrement: l.boolean("check-version-increment"),

		AWSRegion:          l.str("aws-region"),
		RoleToAssume:       l.str("role-to-assume"),
		RoleSessionName:    l.str("role-session-name"),
		Audience:           l.str("audience"),
		CreateRepositories: l.boolean("create-repositories"),

		PaletteURL:      l.str("palette-url"),
		PaletteAPIKey:   l.str("palette-api-key"),
		PaletteRegistry: l.str("palette-registry"),
	}
	c.Workspace = firstNonEmpty(getenv("GITHUB_WORKSPACE"), getenv("CI_PROJECT_DIR"), src.Dir)
	if !filepath.IsAbs(c.Workspace) {
		l.fail("", fmt.Sprintf("workspace %q is not an absolute path; set GITHUB_WORKSPACE or run from the repository", c.Workspace))
	}
	c.PacksDirs = l.relPaths("packs-dir", splitList(l.str("packs-dir"), false))
	if len(c.PacksDirs) == 0 {
		c.PacksDirs = []string{"."}
	}
	c.Packs = l.relPaths("packs", splitList(l.str("packs"), true))
	if ig, err := pack.ParseIgnore(splitList(l.str("ignore-rules"), true)); err != nil {
		l.fail("ignore-rules", err.Error())
	} else {
		c.IgnoreRules = ig
	}

	abs := func(name string) string {
		p := l.str(name)
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(src.Dir, p)
	}
	c.DockerConfig = abs("docker-config")
	c.CAFile = abs("ca-file")
	c.WebIdentityTokenFile = abs("web-identity-token-file")
	// Files pack-publish writes stay inside the workspace unless the path
	// is given as absolute (contract, Safety).
	written := func(name string) string {
		p := abs(name)
		if p != "" && !filepath.IsAbs(l.str(name)) && filepath.IsAbs(c.Workspace) {
			if rel, err := filepath.Rel(c.Workspace, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				l.fail(name, fmt.Sprintf("%q leaves the workspace; a relative path must stay inside it (give an absolute path to write elsewhere)", l.str(name)))
			}
		}
		return p
	}
	c.OCILayout = written("oci-layout")
	c.ReportFile = written("report-file")
	c.CommentFile = written("comment-file")
	c.DotenvFile = written("dotenv-file")
	if getenv("GITLAB_CI") != "" {
		// GitLab refuses a dotenv report over 5 KiB: the full report goes here.
		if c.DotenvFile == "" {
			c.DotenvFile = filepath.Join(src.Dir, "pack-publish.env")
		}
		if c.ReportFile == "" {
			c.ReportFile = filepath.Join(src.Dir, "pack-publish-report.json")
		}
	}

	c.Concurrency = DefaultConcurrency
	if s := l.str("concurrency"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 64 {
			l.fail("concurrency", fmt.Sprintf("%q is not a number from 1 to 64", s))
		} else {
			c.Concurrency = n
		}
	}

	c.Timeout = l.duration("timeout", "30m, 1h30m or 90s")
	c.Warnings = warnings

	l.checkRegistry(c)
	l.checkAuth(c)
	l.checkPalette(c)
	return c, errors.Join(l.errs...)
}

// checkPalette validates the Palette inputs; they are used only when
// palette-api-key is set.
func (l *loader) checkPalette(c *Config) {
	c.PaletteTimeout = l.duration("palette-timeout", "10m or 90s")
	if c.PaletteAPIKey == "" {
		return
	}
	if c.PaletteRegistry == "" {
		l.fail("palette-registry", "required with palette-api-key: the name (or UID) of the OCI pack registry as registered in Palette")
	}
	if c.OCILayout != "" {
		l.fail("palette-api-key", "Palette syncs a registry, and oci-layout pushes to none; remove palette-api-key or publish to a registry")
	}
	if u, err := palette.ParseURL(c.PaletteURL); err != nil {
		l.errs = append(l.errs, &InputError{Msg: err.Error()})
	} else {
		c.PaletteURL = u.String()
	}
}

// passwordStdin reads the password from stdin (--password-stdin), as
// docker login does: the whole input, without the final line break.
func (l *loader) passwordStdin(stdin io.Reader) {
	if _, ok := l.flags["password"]; ok {
		l.fail("password", "--password and --password-stdin are both given; give only one")
		return
	}
	if stdin == nil {
		l.fail("password", "--password-stdin: no standard input to read")
		return
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxPasswordBytes+1))
	switch {
	case err != nil:
		l.fail("password", fmt.Sprintf("--password-stdin: reading standard input: %v", err))
	case len(b) > maxPasswordBytes:
		l.fail("password", fmt.Sprintf("--password-stdin: standard input is larger than %d KiB; pipe only the password", maxPasswordBytes>>10))
	default:
		pw := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if pw == "" {
			l.fail("password", "--password-stdin: standard input is empty; pipe the password, e.g. printf %s \"$TOKEN\" | pack-publish --password-stdin ...")
			return
		}
		l.flags["password"] = pw
	}
}

// otherVariables are PACK_PUBLISH_* names that are neither inputs nor
// outputs but are expected in the environment: the dotenv's truncation
// marker, and the settings of pack-publish's own CI and scripts (.ci/run,
// scripts/*.sh), which the binaries its tests start inherit.
var otherVariables = []string{"TRUNCATED", "REQUIRE_INTEGRATION", "IMAGE_TEST", "IMAGE_TEST_DIR", "COVERAGE", "NPM_CACHE"}

// checkEnviron fails on PACK_PUBLISH_* variables that name neither an input
// nor an output (a typo must not fall back to a default: PACK_PUBLISH_DRYRUN
// would publish for real), and on GitHub returns a warning for each INPUT_*
// variable that names no input.
func (l *loader) checkEnviron(environ []string, github bool) (warnings []string) {
	var inputs, known []string
	for _, in := range l.spec.Inputs {
		inputs = append(inputs, in.Name)
		known = append(known, envName(in.Name))
	}
	for _, out := range l.spec.Outputs {
		known = append(known, envName(out.Name))
	}
	known = append(known, otherVariables...)
	seen := map[string]bool{}
	for _, kv := range environ {
		key, _, _ := strings.Cut(kv, "=")
		if seen[key] {
			continue
		}
		seen[key] = true
		switch {
		case strings.HasPrefix(key, "PACK_PUBLISH_"):
			name := strings.TrimPrefix(key, "PACK_PUBLISH_")
			if slices.Contains(known, name) {
				continue
			}
			msg := fmt.Sprintf("the environment variable %s names no input", key)
			if s := spell.Suggest(name, inputs); s != "" {
				msg += fmt.Sprintf("; did you mean PACK_PUBLISH_%s?", envName(s))
			} else {
				msg += "; inputs are PACK_PUBLISH_<NAME> with the input name upper-cased and '-' as '_' (see pack-publish --help)"
			}
			l.fail("", msg)
		case github && strings.HasPrefix(key, "INPUT_"):
			name := strings.TrimPrefix(key, "INPUT_")
			if slices.ContainsFunc(inputs, func(in string) bool { return name == strings.ToUpper(in) || name == envName(in) }) {
				continue
			}
			msg := fmt.Sprintf("%s: pack-publish has no input %q; it is ignored", key, strings.ToLower(name))
			if s := spell.Suggest(name, inputs); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			warnings = append(warnings, msg)
		}
	}
	return warnings
}

// envName is an input or output name as it appears in PACK_PUBLISH_<NAME>.
func envName(name string) string { return strings.ReplaceAll(strings.ToUpper(name), "-", "_") }

// checkRegistry validates the destination: a registry host, an OCI layout,
// or a dry run.
func (l *loader) checkRegistry(c *Config) {
	switch {
	case c.Registry != "" && c.OCILayout != "":
		l.fail("oci-layout", "set either registry or oci-layout, not both")
	case c.Registry == "" && c.OCILayout == "" && !c.DryRun && !l.failed("dry-run"): // a dry-run typo is reported once
		l.fail("registry", "required: set registry (host[:port]), or oci-layout to write a local OCI layout, or dry-run: true")
	}
	if c.Registry != "" {
		if msg := checkHost(c.Registry); msg != "" {
			l.fail("registry", msg)
		}
	}
	for _, seg := range strings.Split(c.BasePath, "/") {
		if c.BasePath != "" && !pathComponent.MatchString(seg) {
			l.fail("base-path", fmt.Sprintf("%q is not a valid repository path: each segment must be lower-case letters and digits separated by '.', '_', '__' or '-' (segment %q)", c.BasePath, seg))
			break
		}
	}
	// ca-file also serves a self-hosted Palette's HTTPS.
	if c.PlainHTTP && (c.Insecure || c.CAFile != "" && l.str("palette-api-key") == "") {
		l.fail("plain-http", "plain-http cannot be combined with insecure or ca-file, which are TLS settings")
	}
}

func (l *loader) checkAuth(c *Config) {
	if c.Auth == "auto" && c.Registry != "" && (c.RoleToAssume != "" || isECRHost(c.Registry)) {
		c.Auth = "ecr"
	}
	switch c.Auth {
	case "ecr":
		if c.Username != "" || c.Password != "" {
			l.fail("auth", "auth is ecr but username or password is set; ECR credentials come from AWS, remove them")
		}
		if c.RoleToAssume != "" && !roleARN.MatchString(c.RoleToAssume) {
			l.fail("role-to-assume", fmt.Sprintf("%q is not an IAM role ARN such as arn:aws:iam::123456789012:role/publisher", c.RoleToAssume))
		}
		if !ecr.ValidRoleSessionName(c.RoleSessionName) {
			l.fail("role-session-name", "must be 2 to 64 characters of letters, digits and +=,.@_-")
		}
		// The ECR password travels over verified TLS only; a loopback test
		// registry is the one exception.
		for _, in := range []struct {
			name string
			on   bool
		}{{"plain-http", c.PlainHTTP}, {"insecure", c.Insecure}} {
			if name := in.name; in.on && c.Registry != "" && !ecr.IsLoopback(c.Registry) {
				l.fail(name, fmt.Sprintf("auth is ecr (%s), and the ECR password is sent over verified HTTPS only; unset %s, "+
					"or set auth to basic, docker-config or none for a registry that is not ECR", ecrReason(c), name))
			}
		}
	case "basic":
		if (c.Username == "" || c.Password == "") && !c.DryRun {
			l.fail("auth", "basic auth needs both username and password (use a secret for the password)")
		}
	case "none", "docker-config":
		if c.Username != "" || c.Password != "" {
			l.fail("auth", fmt.Sprintf("auth is %q but username or password is set; use auth: basic or remove them", c.Auth))
		}
	case "auto":
		if c.Password != "" && c.Username == "" {
			l.fail("username", "password is set but username is empty")
		}
	}
	// A dry run with a missing password (secrets are withheld from fork pull
	// requests and unprotected GitLab branches) does not read the registry
	// but still validates and builds (a notice says so).
	if c.Username != "" && c.Password == "" && c.Auth == "auto" && !c.DryRun {
		l.fail("password", "username is set but password is empty; pass the password as a secret")
	}
}

var (
	pathComponent = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
	roleARN       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	hostPort      = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
)

// ecrReason says why auth is ecr.
func ecrReason(c *Config) string {
	switch {
	case isECRHost(c.Registry):
		return "registry is an ECR host"
	case c.RoleToAssume != "":
		return "role-to-assume is set"
	}
	return "the auth input"
}

// isECRHost reports whether host is a private ECR registry, as ecr.Login
// reads it.
func isECRHost(host string) bool {
	_, _, ok := ecr.ParseHost(host)
	return ok
}

// checkHost explains what is wrong with a registry value, or returns "".
// The value itself is not echoed when it may hold credentials.
func checkHost(s string) string {
	switch {
	case strings.Contains(s, "://"):
		return "give the host[:port] only, without a scheme such as https:// (use plain-http for HTTP registries)"
	case strings.Contains(s, "@"):
		return "must not contain credentials; use username and password (as a secret) instead"
	case strings.Contains(s, "/"):
		return fmt.Sprintf("%q has a path: give the host[:port] only and put the path in base-path", s)
	case !hostPort.MatchString(s):
		return fmt.Sprintf("%q is not a host[:port]", s)
	}
	return ""
}

// loader looks inputs up in precedence order and collects problems.
type loader struct {
	spec   Spec
	flags  map[string]string
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(input, msg string) {
	l.errs = append(l.errs, &InputError{Input: input, Msg: msg})
}

// failed reports whether an input already has a problem.
func (l *loader) failed(input string) bool {
	for _, err := range l.errs {
		var ie *InputError
		if errors.As(err, &ie) && ie.Input == input {
			return true
		}
	}
	return false
}

// raw returns an input's value without trimming (passwords may hold spaces).
func (l *loader) raw(name string) string {
	in, ok := l.spec.Input(name)
	if !ok {
		panic("config: input " + name + " is not declared in action.yml")
	}
	if v, ok := l.flags[name]; ok {
		return v
	}
	upper := strings.ToUpper(name)
	for _, key := range []string{
		"INPUT_" + upper,
		"INPUT_" + strings.ReplaceAll(upper, "-", "_"),
		"PACK_PUBLISH_" + envName(name),
	} {
		if v := l.getenv(key); strings.TrimSpace(v) != "" {
			return v
		}
	}
	return in.Default
}

func (l *loader) str(name string) string { return strings.TrimSpace(l.raw(name)) }

func (l *loader) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(l.str(name))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.fail(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
	return v
}

func (l *loader) boolean(name string) bool {
	v := l.str(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, fmt.Sprintf("%q is not true or false", v))
	}
	return b
}

// duration parses a positive Go duration input (its default is in
// action.yml); examples name valid values for the error.
func (l *loader) duration(name, examples string) time.Duration {
	v := l.str(name)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		l.fail(name, fmt.Sprintf("%q is not a positive Go duration such as %s", v, examples))
	}
	return d
}

// relPaths cleans workspace-relative paths and refuses absolute ones and
// those that leave the workspace.
func (l *loader) relPaths(name string, items []string) []string {
	var out []string
	for _, p := range items {
		p = filepath.ToSlash(p)
		clean := path.Clean(p)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			l.fail(name, fmt.Sprintf("%q must be a path inside the workspace, relative to it", p))
			continue
		}
		out = append(out, clean)
	}
	return out
}

// splitList splits a list input on newlines (and commas when commas is set),
// dropping blanks and duplicates.
func splitList(s string, commas bool) []string {
	sep := func(r rune) bool { return r == '\n' || r == '\r' || (commas && r == ',') }
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, sep) {
		f = strings.TrimSpace(f)
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseFlags parses --name VALUE / --name=VALUE for every declared input;
// boolean inputs also take the bare --name form and --name true|false. A
// flag given twice, or one that names no input, is an error.
func parseFlags(spec Spec, args []string) (map[string]string, error) {
	fs := flag.NewFlagSet("pack-publish", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var names []string
	bools := map[string]bool{flagVersion: true, flagPasswordStdin: true}
	for _, in := range spec.Inputs {
		names = append(names, in.Name)
		bools[in.Name] = in.boolInput()
	}
	var twice string
	for _, name := range append(names, flagVersion, flagPasswordStdin) {
		fs.Var(&flagValue{name: name, isBool: bools[name], twice: &twice}, name, "")
	}
	args, err := joinBoolValues(args, bools)
	if err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			return nil, ErrHelp
		case twice != "":
			return nil, &InputError{Msg: fmt.Sprintf("--%s is given twice; give it once (a list takes newline- or comma-separated values in one flag)", twice)}
		}
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			msg = fmt.Sprintf("unknown flag --%s", name)
			if s := spell.Suggest(name, append(names, flagVersion, flagPasswordStdin)); s != "" {
				return nil, &InputError{Msg: fmt.Sprintf("%s; did you mean --%s? (pack-publish --help lists the inputs)", msg, s)}
			}
		}
		return nil, &InputError{Msg: msg + "; run pack-publish --help for the list of inputs"}
	}
	if fs.NArg() > 0 {
		return nil, &InputError{Msg: fmt.Sprintf("unexpected argument %q: every input is a --name VALUE flag (booleans: --name, --name=true or --name false); run pack-publish --help", fs.Arg(0))}
	}
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	return set, nil
}

// joinBoolValues turns "--strict true" into "--strict=true" for boolean
// flags, which the flag package would otherwise read as --strict followed
// by an argument. pack-publish takes no arguments, so nothing is lost; a
// word that is not a boolean after a boolean flag is an error that says how
// to write it.
func joinBoolValues(args []string, bools map[string]bool) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && !strings.Contains(name, "=") && bools[name] && i+1 < len(args) {
			next := args[i+1]
			if _, err := strconv.ParseBool(next); err == nil {
				out = append(out, a+"="+next)
				i++
				continue
			}
			if !strings.HasPrefix(next, "-") {
				return nil, &InputError{Input: name, Msg: fmt.Sprintf("%q is not true or false; write --%s, --%s=true or --%s false", next, name, name, name)}
			}
		}
		out = append(out, a)
		if strings.HasPrefix(a, "-") && !strings.Contains(name, "=") && !bools[name] && i+1 < len(args) {
			out = append(out, args[i+1]) // a value, even one that looks like a flag
			i++
		}
	}
	return out, nil
}

// flagValue keeps a flag's text as given, so that every value is validated
// with the other inputs rather than by the flag package; boolean inputs also
// take the bare --name form. A second Set records the flag in twice.
type flagValue struct {
	name   string
	s      string
	set    bool
	isBool bool
	twice  *string
}

func (v *flagValue) String() string { return v.s }
func (v *flagValue) Set(s string) error {
	if v.set {
		*v.twice = v.name
		return errors.New("given twice")
	}
	v.s, v.set = s, true
	return nil
}
func (v *flagValue) IsBoolFlag() bool { return v.isBool }

// Usage renders the --help text from the spec.
func Usage(spec Spec) string {
	var b strings.Builder
	b.WriteString("Usage: pack-publish [--INPUT VALUE]...\n\n")
	b.WriteString("Validates Palette packs, archives them reproducibly and publishes them to an OCI registry.\n")
	b.WriteString("Every input can also be set as PACK_PUBLISH_<NAME> (upper case, '-' as '_') or INPUT_<NAME>.\n\nInputs:\n")
	for _, in := range spec.Inputs {
		def := ""
		if in.Default != "" {
			def = fmt.Sprintf(" (default %q)", in.Default)
		}
		fmt.Fprintf(&b, "  --%s%s\n      %s\n", in.Name, def, in.Description)
	}
	b.WriteString("\nCommand line only:\n")
	b.WriteString("  --password-stdin\n      Read the password from standard input (printf %s \"$TOKEN\" | pack-publish --username u --password-stdin ...).\n")
	b.WriteString("  --version\n      Print the version and exit.\n")
	b.WriteString("  --help\n      Print this help and exit.\n")
	return b.String()
}
