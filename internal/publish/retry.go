package publish

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Transient reports whether a failed push is worth repeating: timeouts,
// connection resets, truncated responses, 408, 429 and 5xx. Wrong
// credentials (401), missing permission (403) and unknown repositories (404)
// are not: repeating them only delays the message.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var conflict *ConflictError
	if errors.As(err, &conflict) {
		return false
	}
	var er *errcode.ErrorResponse
	if errors.As(err, &er) {
		switch {
		case er.StatusCode == http.StatusRequestTimeout, er.StatusCode == http.StatusTooManyRequests, er.StatusCode >= 500:
			return true
		default:
			return false
		}
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

// RetryPolicy bounds the repetition of a whole pack push. oras-go already
// retries single requests, but not a streamed blob upload that failed
// half-way; repeating the pack is safe because every step first checks what
// the registry already holds.
type RetryPolicy struct {
	Attempts int           // total tries; 0 means 4
	Base     time.Duration // first wait; 0 means 1s, doubled each time
	Max      time.Duration // longest wait; 0 means 15s
	Total    time.Duration // give up after; 0 means 3m
}

// jitter spreads each wait by +-10 %, as oras-go and go-containerregistry
// do: packs that failed together (a 429 or 503 burst hits every pack in
// flight) do not retry in lockstep.
const jitter = 0.1

func (p *RetryPolicy) defaults() {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = 15 * time.Second
	}
	if p.Total <= 0 {
		p.Total = 3 * time.Minute
	}
}

// wait is the pause after the attempt-th failed try (from 1): Base doubled
// per try up to Max, each +-10 % at random.
func (p RetryPolicy) wait(attempt int) time.Duration {
	p.defaults()
	base, n := p.Base, attempt-1
	for ; n > 0 && base < p.Max; n-- {
		base *= 2
	}
	base = min(base, p.Max)
	return retry.ExponentialBackoff(base, 1, jitter)(0, nil)
}

// Do calls fn until it succeeds, fails for a reason that is not transient,
// or the policy is exhausted. It returns the number of attempts made.
func (p RetryPolicy) Do(ctx context.Context, fn func(context.Context) error) (int, error) {
	p.defaults()
	deadline := time.Now().Add(p.Total)
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		wait := p.wait(attempt)
		if err == nil || !Transient(err) || attempt >= p.Attempts || time.Now().Add(wait).After(deadline) {
			return attempt, err
		}
		select {
		case <-ctx.Done():
			return attempt, err
		case <-time.After(wait):
		}
	}
}
