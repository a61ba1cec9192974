package pack

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The rules on the chart archives that charts[] lists.

// Bounds on reading one chart archive (security review F4: a small .tgz can
// expand to gigabytes). Chart.yaml comes first in archives made by
// `helm package`; a chart whose Chart.yaml lies beyond the caps is not
// judged.
const (
	// DefaultMaxChartBytes is the default of Options.MaxChartBytes.
	DefaultMaxChartBytes = 64 << 20
	maxChartCompressed   = 256 << 20 // bytes of the .tgz read
	maxChartEntries      = 10_000    // tar entries looked at
	maxChartYAML         = 1 << 20   // size of Chart.yaml read
)

// chartInfo is what one chart archive told, read once per run of Load.
type chartInfo struct {
	name    string // from Chart.yaml; "" when not found
	problem string // why the file is not a chart archive; "" when it is or cannot be told
}

// charts checks that every listed chart file is a Helm chart archive (F18).
func (c *checker) charts() {
	for _, file := range c.pack.Charts {
		if err := c.ctx.Err(); err != nil {
			return // Load reports the cancellation
		}
		if info := c.chart(file); info.problem != "" {
			c.find("F18", file, 0, 0, info.problem, "package the chart with `helm package` and list the .tgz it writes")
		}
	}
}

// chartNames returns the names a values.yaml section may give the chart
// in file: the name in its Chart.yaml (Helm's, which Palette documents),
// then the file name without version and extension (vastcsi-2.6.5.tgz:
// vastcsi), which some served packs use instead.
func (c *checker) chartNames(file string) []string {
	byFile := strings.TrimSuffix(strings.TrimSuffix(path.Base(file), ".tgz"), ".tar.gz")
	if i := strings.LastIndexByte(byFile, '-'); i > 0 && versionSuffix.MatchString(byFile[i+1:]) {
		byFile = byFile[:i]
	}
	if info := c.chart(file); info.name != "" && info.name != byFile {
		return []string{info.name, byFile}
	}
	return []string{byFile}
}

var versionSuffix = regexp.MustCompile(`^[vV]?[0-9]`)

// chart reads the archive file once and remembers what it found.
func (c *checker) chart(file string) chartInfo {
	if info, ok := c.chartInfos[file]; ok {
		return info
	}
	info := c.readChart(file)
	c.chartInfos[file] = info
	return info
}

func (c *checker) readChart(file string) chartInfo {
	resolved, msg := c.regularPath(file)
	if msg != "" {
		return chartInfo{} // F11 reports it
	}
	f, err := c.fsys.Open(resolved)
	if err != nil {
		return chartInfo{problem: fmt.Sprintf("cannot read %s: %v", file, err)}
	}
	defer f.Close()
	gz, err := gzip.NewReader(io.LimitReader(f, maxChartCompressed))
	if err != nil {
		return chartInfo{problem: fmt.Sprintf("%s is not gzip-compressed (%v)", file, err)}
	}
	defer gz.Close()
	body := &io.LimitedReader{R: ctxReader{c.ctx, gz}, N: c.opts.MaxChartBytes}
	tr := tar.NewReader(body)
	for range maxChartEntries {
		if c.ctx.Err() != nil {
			return chartInfo{}
		}
		h, err := tr.Next()
		switch {
		case body.N <= 0 || c.ctx.Err() != nil:
			return chartInfo{} // over the cap: not judged
		case errors.Is(err, io.EOF):
			return chartInfo{problem: fmt.Sprintf("%s holds no <chart>/Chart.yaml, so it is not a Helm chart archive", file)}
		case err != nil:
			return chartInfo{problem: fmt.Sprintf("%s is not a readable tar archive: %v", file, err)}
		}
		if !isChartYAML(h.Name) {
			continue
		}
		var chart struct{ Name string }
		b, err := io.ReadAll(io.LimitReader(tr, maxChartYAML))
		switch {
		case err != nil && (body.N <= 0 || c.ctx.Err() != nil):
			return chartInfo{}
		case err != nil:
			return chartInfo{problem: fmt.Sprintf("%s: reading %s: %v", file, h.Name, err)}
		}
		if err := yaml.Unmarshal(b, &chart); err != nil {
			return chartInfo{problem: fmt.Sprintf("%s: %s does not parse: %v", file, h.Name, err)}
		}
		if strings.TrimSpace(chart.Name) == "" {
			return chartInfo{problem: fmt.Sprintf("%s: %s has no name, which Helm requires", file, h.Name)}
		}
		return chartInfo{name: chart.Name}
	}
	return chartInfo{} // too many entries before Chart.yaml: not judged
}

// isChartYAML reports whether a tar entry is the chart's own Chart.yaml:
// the file right below the archive's top folder, as Helm's loader reads it
// (it drops the first path element), also when that folder is written "./x".
func isChartYAML(name string) bool {
	name = strings.ReplaceAll(name, `\`, "/")
	if _, rest, ok := strings.Cut(name, "/"); ok && path.Clean(rest) == "Chart.yaml" {
		return true
	}
	clean := path.Clean(name)
	return path.Base(clean) == "Chart.yaml" && strings.Count(clean, "/") == 1
}

// ctxReader stops reading once ctx is done: tar.Next reads through a whole
// entry, which in a bomb is most of the archive.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
