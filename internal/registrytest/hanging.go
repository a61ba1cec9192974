package registrytest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Hanging starts a TCP listener on loopback that accepts connections and
// never answers, as a registry behind a stuck proxy does, and returns its
// address and the count of connections it has accepted. It and every
// connection close when the test ends.
func Hanging(t testing.TB) (addr string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = &atomic.Int32{}
	var (
		mu   sync.Mutex
		held []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String(), conns
}
