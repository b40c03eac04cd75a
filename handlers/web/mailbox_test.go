package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/outbox"
)

func TestLinkify(t *testing.T) {
	got := linkify("Open https://tuhono.test/reset/tur_abc. Or (http://x.test/a?b=c&d=e), not javascript:alert(1)")
	want := []segment{
		{Text: "Open "},
		{Text: "https://tuhono.test/reset/tur_abc", URL: "https://tuhono.test/reset/tur_abc"},
		{Text: ". Or ("},
		{Text: "http://x.test/a?b=c&d=e", URL: "http://x.test/a?b=c&d=e"},
		{Text: "), not javascript:alert(1)"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// The mailbox shows whatever was queued, so everything in a message is
// escaped and only http(s) URLs become links.
func TestMailboxEscapesEverything(t *testing.T) {
	hostile := outbox.Message{
		ID: uuid.New(), To: `"<b>x</b>" <x@example.co.nz>`, Subject: `<script>alert("s")</script>`,
		Text:      "Hi <img src=x onerror=alert(1)>\nhttps://tuhono.test/t/a/invite/tui_x\"onmouseover=\"alert(1)\njavascript:alert(2)",
		CreatedAt: time.Now(),
	}
	s := newStack(t, testBase, stackOptions{mailbox: func(context.Context) ([]outbox.Message, error) {
		return []outbox.Message{hostile}, nil
	}})
	r := s.agent(t).get("/dev/mailbox")
	want(t, r, 200, "&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
		`<a href="https://tuhono.test/t/a/invite/tui_x">https://tuhono.test/t/a/invite/tui_x</a>`, "javascript:alert(2)")
	for _, bad := range []string{"<script>", "<img src=x", `href="javascript`, `onmouseover="alert`} {
		if strings.Contains(r.body, bad) {
			t.Errorf("the mailbox let %q through", bad)
		}
	}
}
