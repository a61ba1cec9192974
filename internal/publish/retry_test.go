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
