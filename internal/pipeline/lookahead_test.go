package pipeline

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestSchedule: the run's first lookup goes at once; the others wait for
// the registry's first answer; on a token registry the rest of a group
// also waits for the group's first lookup (which fetches the token), and
// on a basic-auth registry it does not; lookups without a group wait for
// the first answer only; a cancelled context releases every wait.
// synctest.Wait lets each check see every lookup that could go gone.
func TestSchedule(t *testing.T) {
	t.Parallel()
	type lookup struct {
		group   int
		grouped bool
	}
	tests := []struct {
		name   string
		tokens bool
		// lookups in creation order; the first is the run's first
		lookups []lookup
		// which lookups have gone after each step: start, answered,
		// leader of group 1 (lookup 2) done
		gone [3][]bool
	}{
		{
			name:    "token registry",
			tokens:  true,
			lookups: []lookup{{0, true}, {0, true}, {1, true}, {1, true}, {0, false}},
			gone: [3][]bool{
				{true, false, false, false, false},
				{true, true, true, false, true}, // 1: its leader (0) is done; 3 waits for 2
				{true, true, true, true, true},
			},
		},
		{
			name:    "basic registry",
			tokens:  false,
			lookups: []lookup{{0, true}, {0, true}, {1, true}, {1, true}, {0, false}},
			gone: [3][]bool{
				{true, false, false, false, false},
				{true, true, true, true, true},
				{true, true, true, true, true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				answered := make(chan struct{})
				s := &schedule{answered: answered, tokenAuth: func(context.Context) bool { return tc.tokens }}
				turns := make([]*turn, len(tc.lookups))
				gone := make([]atomic.Bool, len(tc.lookups))
				release := make([]chan struct{}, len(tc.lookups)) // ends lookup i (after it went)
				for i, l := range tc.lookups {
					turns[i] = s.next(l.group, l.grouped)
					release[i] = make(chan struct{})
				}
				for i, tu := range turns {
					go func() {
						defer tu.done()
						if err := tu.wait(t.Context()); err != nil {
							t.Errorf("lookup %d: wait() = %v", i, err)
							return
						}
						gone[i].Store(true)
						<-release[i]
					}()
				}
				check := func(step int) {
					t.Helper()
					synctest.Wait()
					for i, want := range tc.gone[step] {
						if got := gone[i].Load(); got != want {
							t.Errorf("step %d: lookup %d gone = %v, want %v", step, i, got, want)
						}
					}
				}
				check(0)
				close(release[0]) // the first lookup ends: it answered, group 0's leader done
				close(answered)
				check(1)
				close(release[2]) // group 1's leader ends
				check(2)
				for i := range release {
					select {
					case <-release[i]:
					default:
						close(release[i])
					}
				}
			})
		})
	}
}

// TestSchedule_cancelled: a lookup waiting for the first answer is
// released, with the context's error, when the run ends.
func TestSchedule_cancelled(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &schedule{answered: make(chan struct{}), tokenAuth: func(context.Context) bool { return true }}
		s.next(0, true)
		second := s.next(0, true)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- second.wait(ctx) }()
		synctest.Wait()
		select {
		case err := <-errc:
			t.Fatalf("wait() = %v before the registry answered", err)
		default:
		}
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Errorf("wait() = %v, want context.Canceled", err)
		}
	})
}
