package pipeline

import (
	"fmt"
	"io/fs"
	"os"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/pack-publish/pack-publish/internal/archive"
	"github.com/pack-publish/pack-publish/internal/pack"
)

// item is one selected pack on its way through the pipeline.
type item struct {
	dir     string // workspace-relative, slash-separated
	res     PackResult
	pack    *pack.Pack
	fsys    fs.FS    // root.FS(): reads stay inside the pack folder
	root    *os.Root // the pack folder; closed when the run ends
	entries []archive.Entry
	ahead   chan ahead         // set by lookAhead
	existed bool               // its tag was in the registry before this run
	repo    *remote.Repository // set by openRepositories, sharing a token with its group
}

func (it *item) valid() bool {
	return it.res.Status != StatusInvalid && it.res.Status != StatusCancelled
}

// cancelledMessage is the message of every pack the run did not finish;
// Result.Interrupted says why, once.
const cancelledMessage = "not finished: the run was interrupted or timed out; nothing points at partial content, run again to finish"

// cancelled marks the pack as not finished.
func (it *item) cancelled() {
	it.res.Status, it.res.Message = StatusCancelled, cancelledMessage
}

// invalid marks the pack invalid, summing up the findings that make it so
// in the message.
func (it *item) invalid(strict bool) {
	it.res.Status = StatusInvalid
	var failing []pack.Finding
	for _, f := range it.res.Findings {
		if pack.HasErrors([]pack.Finding{f}, strict) {
			failing = append(failing, f)
		}
	}
	if len(failing) == 0 { // no pack.json: Load reported why
		failing = it.res.Findings
	}
	if len(failing) == 0 {
		it.res.Message = "invalid"
		return
	}
	it.res.Message = fmt.Sprintf("%d problem(s); first: %s: %s", len(failing), failing[0].File, failing[0].Message)
}

// addFindings records findings of the pack and marks it invalid when they
// fail it.
func (it *item) addFindings(findings []pack.Finding, strict bool) {
	it.res.Findings = append(it.res.Findings, findings...)
	if it.valid() && pack.HasErrors(findings, strict) {
		it.invalid(strict)
	}
}

// closeRoot closes the pack folder once it is no longer read.
func (it *item) closeRoot() {
	if it.root != nil {
		it.root.Close()
		it.root = nil
	}
}
