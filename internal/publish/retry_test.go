package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote/errcode"
)

func TestTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{&errcode.ErrorResponse{StatusCode: 503}, true},
		{fmt.Errorf("pushing: %w", &errcode.ErrorResponse{StatusCode: 429}), true},
		{&errcode.ErrorResponse{StatusCode: 408}, true},
		{&errcode.ErrorResponse{StatusCode: 401}, false},
		{&errcode.ErrorResponse{StatusCode: 403}, false},
		{&errcode.ErrorResponse{StatusCode: 404}, false},
		{fmt.Errorf("put: %w", syscall.ECONNRESET), true},
		{io.ErrUnexpectedEOF, true},
		{context.Canceled, false},
		{&ConflictError{}, false},
		{errors.New("invalid reference"), false},
	}
	for _, tc := range tests {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetryPolicy_Do(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}
	calls := 0
	n, err := p.Do(context.Background(), func(context.Context) error {
		calls++
		if calls < 3 {
			return &errcode.ErrorResponse{StatusCode: 502}
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("Do(two 502s then success) = %d, %v; want 3, nil", n, err)
	}
	n, err = p.Do(context.Background(), func(context.Context) error { return &errcode.ErrorResponse{StatusCode: 401} })
	if n != 1 || err == nil {
		t.Errorf("Do(401) = %d, %v; want one attempt", n, err)
	}
	n, _ = p.Do(context.Background(), func(context.Context) error { return io.ErrUnexpectedEOF })
	if n != 3 {
		t.Errorf("Do(always transient) = %d attempts, want 3", n)
	}
}

func TestRetryPolicy_waitHasJitter(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{Base: time.Second, Max: 15 * time.Second}
	tests := []struct {
		attempt int
		want    time.Duration // the middle of the +-10 % range
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 15 * time.Second}, {40, 15 * time.Second}}
	for _, tc := range tests {
		seen := map[time.Duration]bool{}
		for range 50 {
			w := p.wait(tc.attempt)
			if lo, hi := tc.want*9/10, tc.want*11/10; w < lo || w > hi {
				t.Fatalf("wait(%d) = %v, want within [%v, %v]", tc.attempt, w, lo, hi)
			}
			seen[w] = true
		}
		// Without jitter every pack that failed together would wait the same.
		if len(seen) < 10 {
			t.Errorf("wait(%d) took %d distinct values in 50 draws, want them spread", tc.attempt, len(seen))
		}
	}
}
