package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/models/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// SIGTERM: in-flight slow requests finish with 200, new connections are
// refused, and serve returns.
func TestGracefulShutdown(t *testing.T) {
	env := dbtest.New(t)
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{
			"DATABASE_URL": env.AppURL, "LISTEN_ADDR": "127.0.0.1:0", "SHUTDOWN_TIMEOUT": "10s",
			"SECRET_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "NOTE_MASTER_KEY": testMasterKey, "SMTP_ADDR": "127.0.0.1:2525", "SMTP_STARTTLS": "false",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	addrc := make(chan string, 1)
	started := make(chan struct{}, 8)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, dbtest.Quiet, serveHooks{
			Listening: func(a string) { addrc <- a },
			Mount: func(app *fiber.App) {
				app.Get("/test/slow", func(c *fiber.Ctx) error {
					started <- struct{}{}
					time.Sleep(1500 * time.Millisecond)
					return c.SendString("finished")
				})
			},
		})
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}

	const n = 3
	var wg sync.WaitGroup
	results := make([]string, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Get("http://" + addr + "/test/slow")
			if err != nil {
				results[i] = err.Error()
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			codes[i], results[i] = res.StatusCode, string(b)
		}()
	}
	for range n {
		<-started
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes at once; give the signal a moment to arrive.
	deadline := time.Now().Add(1 * time.Second)
	refused := false
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	if !refused {
		t.Error("new connections were still accepted after SIGTERM")
	}
	wg.Wait()
	for i := range n {
		if codes[i] != 200 || results[i] != "finished" {
			t.Errorf("in-flight request %d: %d %q, want 200 finished", i, codes[i], results[i])
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return after SIGTERM")
	}
}
