package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/outbox"
)

func enqueue(t *testing.T, env *dbtest.Env, ms ...outbox.Email) {
	t.Helper()
	ctx, _ := env.Tenant(t)
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		for _, m := range ms {
			if err := outbox.Enqueue(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkWire asserts the raw message is what SMTP may carry unharmed: 7-bit,
// CRLF line ends only, no line past 998 characters (RFC 5322 2.1.1).
func checkWire(t *testing.T, raw []byte) {
	t.Helper()
	for i, c := range raw {
		if c >= 0x80 {
			t.Fatalf("byte %d is 8-bit (%#x): bodies must be quoted-printable, headers RFC 2047", i, c)
		}
	}
	if bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
		t.Fatal("a bare LF in the message")
	}
	for _, l := range strings.Split(string(raw), "\r\n") {
		if len(l) > 998 {
			t.Fatalf("a line of %d characters", len(l))
		}
	}
}

func qpPart(t *testing.T, mr *multipart.Reader, wantType string) string {
	t.Helper()
	p, err := mr.NextRawPart()
	if err != nil {
		t.Fatalf("part %s: %v", wantType, err)
	}
	if ct := p.Header.Get("Content-Type"); ct != wantType+"; charset=utf-8" {
		t.Errorf("part Content-Type %q, want %s; charset=utf-8", ct, wantType)
	}
	if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("part Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestSMTPRoundTrip(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	srv := newSMTPServer(t, "127.0.0.1", "", "")
	sender := outbox.SMTP{Addr: srv.Addr(), From: "Tūhono <no-reply@tuhono.example>", Timeout: 5 * time.Second}
	if err := sender.Validate(); err != nil {
		t.Fatal(err)
	}

	id := uuid.NewString()
	rich := outbox.Email{
		To:      "Aroha Ngata <aroha@example.nz>",
		Subject: "Kia ora — Tūhono",
		// A lone dot would end DATA if it were not dot-stuffed; a long line
		// must be soft-broken.
		Text: "Kia ora Aroha,\n\nNau mai ki Tūhono.\n.\n..two dots\n" + strings.Repeat("a long line ", 40) + "\n",
		HTML: "<p>Kia ora <b>Aroha</b> — nau mai ki Tūhono.</p>\n", IdempotencyKey: "invite:" + id,
	}
	plain := outbox.Email{To: "hemi@example.nz", Subject: "Plain ASCII subject", Text: "Just text, ngā mihi", IdempotencyKey: "reset:" + id}
	enqueue(t, env, rich, plain)

	before := time.Now()
	n, err := outbox.NewDeliverer(env.DB, sender, dbtest.Quiet).DeliverOnce(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("DeliverOnce = %d, %v; want 2", n, err)
	}
	got := srv.messages()
	if len(got) != 2 {
		t.Fatalf("server received %d messages, want 2", len(got))
	}
	byKey := map[string]smtpMessage{}
	for _, m := range got {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		byKey[msg.Header.Get("Message-ID")] = m
	}

	// The rich message: multipart/alternative, encoded subject and names.
	m, ok := byKey["<invite=3A"+id+"@tuhono.example>"]
	if !ok {
		t.Fatalf("no message with the idempotency key in its Message-ID; have %v", keys(byKey))
	}
	if m.From != "no-reply@tuhono.example" || len(m.To) != 1 || m.To[0] != "aroha@example.nz" {
		t.Errorf("envelope %q -> %q", m.From, m.To)
	}
	checkWire(t, m.Data)
	msg, _ := mail.ReadMessage(bytes.NewReader(m.Data))
	h := msg.Header
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("Subject %q is not an RFC 2047 encoded-word", raw)
	}
	var dec mime.WordDecoder
	if s, err := dec.DecodeHeader(h.Get("Subject")); err != nil || s != "Kia ora — Tūhono" {
		t.Errorf("Subject decodes to %q, %v", s, err)
	}
	if from, err := h.AddressList("From"); err != nil || from[0].Name != "Tūhono" || from[0].Address != "no-reply@tuhono.example" {
		t.Errorf("From %q: %v %v", h.Get("From"), from, err)
	}
	if to, err := h.AddressList("To"); err != nil || to[0].Name != "Aroha Ngata" || to[0].Address != "aroha@example.nz" {
		t.Errorf("To %q: %v %v", h.Get("To"), to, err)
	}
	if d, err := h.Date(); err != nil || d.Before(before.Add(-2*time.Second)) || d.After(time.Now().Add(time.Second)) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("MIME-Version %q, Auto-Submitted %q", h.Get("MIME-Version"), h.Get("Auto-Submitted"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	if text := qpPart(t, mr, "text/plain"); text != rich.Text {
		t.Errorf("text part:\n%q\nwant\n%q", text, rich.Text)
	}
	if html := qpPart(t, mr, "text/html"); html != rich.HTML {
		t.Errorf("html part:\n%q\nwant\n%q", html, rich.HTML)
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Errorf("a third part, or a broken end: %v", err)
	}

	// The plain message: one quoted-printable text/plain body.
	m, ok = byKey["<reset=3A"+id+"@tuhono.example>"]
	if !ok {
		t.Fatalf("plain message missing; have %v", keys(byKey))
	}
	checkWire(t, m.Data)
	msg, _ = mail.ReadMessage(bytes.NewReader(m.Data))
	if s := msg.Header.Get("Subject"); s != "Plain ASCII subject" {
		t.Errorf("ASCII subject encoded anyway: %q", s)
	}
	if ct, cte := msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"); ct != "text/plain; charset=utf-8" || cte != "quoted-printable" {
		t.Errorf("plain message Content-Type %q, Content-Transfer-Encoding %q", ct, cte)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if got := strings.TrimRight(string(body), "\r\n"); got != plain.Text {
		t.Errorf("plain body %q, want %q", got, plain.Text)
	}
}

func keys(m map[string]smtpMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func makeDue(t *testing.T, env *dbtest.Env, k string) {
	t.Helper()
	err := env.DB.Platform(context.Background(), "test: fast-forward", func(tx *db.Tx) error {
		return tx.Exec(`UPDATE outbox SET next_attempt_at = now() WHERE idempotency_key = ?`, k).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A relay that answers 451: each attempt is counted, the next is scheduled
// further out (1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h), the error is kept
// without the password, and the eighth failure gives up.
func TestSMTPTemporaryFailureRetriesThenGivesUp(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	const password = "hunter2-very-secret"
	srv := newSMTPServer(t, "127.0.0.1", "mailer", password)
	srv.set("", "451 4.3.0 mailbox busy, try again later")
	sender := outbox.SMTP{Addr: srv.Addr(), From: "no-reply@tuhono.example", Username: "mailer", Password: password, Timeout: 5 * time.Second}
	k := key("test-retry")
	enqueue(t, env, email(k))
	dl := outbox.NewDeliverer(env.DB, sender, dbtest.Quiet)

	wantWait := []float64{60, 300, 1800, 7200, 21600, 43200, 86400}
	for attempt := 1; attempt <= 8; attempt++ {
		if attempt > 1 {
			makeDue(t, env, k)
		}
		if n, err := dl.DeliverOnce(context.Background()); err != nil || n != 0 {
			t.Fatalf("attempt %d: DeliverOnce = %d, %v; want 0 delivered, no error", attempt, n, err)
		}
		s := state(t, env, k)
		if s.Attempts != attempt || s.Delivered {
			t.Fatalf("attempt %d: %+v", attempt, s)
		}
		if !strings.Contains(s.LastError, "451") || strings.Contains(s.LastError, password) {
			t.Fatalf("attempt %d: last_error %q; want the 451 reply and never the password", attempt, s.LastError)
		}
		if attempt < 8 {
			if s.Failed {
				t.Fatalf("attempt %d: given up early", attempt)
			}
			if w := wantWait[attempt-1]; s.RetryInSecs < w-5 || s.RetryInSecs > w+5 {
				t.Errorf("attempt %d: next try in %.0f s, want %.0f s", attempt, s.RetryInSecs, w)
			}
		} else if !s.Failed {
			t.Fatalf("after 8 attempts not given up: %+v", s)
		}
	}
	if data, auth := srv.counts(); data != 8 || auth != 8 {
		t.Errorf("server saw %d DATA and %d AUTH, want 8 each", data, auth)
	}
	// Given up means given up.
	makeDue(t, env, k)
	if n, err := dl.DeliverOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("after giving up: %d, %v", n, err)
	}
	if data, _ := srv.counts(); data != 8 {
		t.Errorf("a given-up message was tried again (%d DATA)", data)
	}
	if s := state(t, env, k); s.Attempts != 8 || !s.Failed || s.Delivered {
		t.Errorf("final state %+v", s)
	}
}

// A 5xx for the recipient is a bounce: retrying cannot help.
func TestSMTPPermanentRejectionGivesUpAtOnce(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	srv := newSMTPServer(t, "127.0.0.1", "", "")
	srv.set("550 5.1.1 no such mailbox here", "")
	k := key("test-bounce")
	enqueue(t, env, email(k))
	dl := outbox.NewDeliverer(env.DB, outbox.SMTP{Addr: srv.Addr(), From: "no-reply@tuhono.example"}, dbtest.Quiet)
	if n, err := dl.DeliverOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("DeliverOnce = %d, %v", n, err)
	}
	if s := state(t, env, k); s.Attempts != 1 || !s.Failed || !strings.Contains(s.LastError, "550") {
		t.Errorf("after a 550: %+v; want given up after one attempt", s)
	}
}

func TestSMTPRefusals(t *testing.T) {
	ctx := context.Background()
	m := email(key("test-refusal"))

	srv := newSMTPServer(t, "127.0.0.1", "", "")
	err := outbox.SMTP{Addr: srv.Addr(), From: "no-reply@tuhono.example", StartTLS: true}.Send(ctx, m)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("STARTTLS required but not offered: %v", err)
	}

	bad := m
	bad.To = "aroha@example.nz\r\nBcc: everyone@example.nz"
	if err := (outbox.SMTP{Addr: srv.Addr(), From: "no-reply@tuhono.example"}).Send(ctx, bad); err == nil {
		t.Error("a To with CRLF was sent")
	}
	bad = m
	bad.Subject = "Hi\nBcc: everyone@example.nz"
	if err := (outbox.SMTP{Addr: srv.Addr(), From: "no-reply@tuhono.example"}).Send(ctx, bad); err == nil {
		t.Error("a Subject with LF was sent")
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("server accepted %d messages", n)
	}

	// Credentials never cross an unencrypted connection to another host
	// (127.0.0.2 is loopback, but not "localhost" by name).
	far := newSMTPServer(t, "127.0.0.2", "mailer", "secret-pw-1")
	err = outbox.SMTP{Addr: far.Addr(), From: "no-reply@tuhono.example", Username: "mailer", Password: "secret-pw-1"}.Send(ctx, m)
	if err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("credentials over plain text: %v", err)
	}
	if _, auth := far.counts(); auth != 0 {
		t.Error("AUTH was sent without TLS")
	}

	// A wrong password: an error that names the failure, not the password,
	// and is not a permanent rejection (fixing the configuration must let
	// queued mail through).
	local := newSMTPServer(t, "127.0.0.1", "mailer", "right-password")
	err = outbox.SMTP{Addr: local.Addr(), From: "no-reply@tuhono.example", Username: "mailer", Password: "wrong-password-xyz"}.Send(ctx, m)
	if err == nil || strings.Contains(err.Error(), "wrong-password-xyz") || errors.Is(err, outbox.ErrRejected) {
		t.Errorf("wrong password: %v", err)
	}

	// A cancelled context ends the conversation.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := (outbox.SMTP{Addr: srv.Addr(), From: "no-reply@tuhono.example"}).Send(cctx, m); err == nil {
		t.Error("sent with a cancelled context")
	}

	for _, s := range []outbox.SMTP{{Addr: "nohost", From: "a@b.nz"}, {Addr: "h:25", From: "not an address"}, {Addr: "h:25", From: "a@b.nz", Password: "p"}} {
		if s.Validate() == nil {
			t.Errorf("Validate(%+v) passed", s)
		}
	}
}
