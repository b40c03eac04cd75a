package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/outbox"
)

// smsRecorder is an SMSSender that keeps what it was given.
type smsRecorder struct {
	mu   sync.Mutex
	sent []outbox.SMS
}

func (r *smsRecorder) SendSMS(_ context.Context, m outbox.SMS) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func TestNormalisePhone(t *testing.T) {
	for in, want := range map[string]string{
		"021 123 4567":     "+64211234567",
		"+64 21 123 4567":  "+64211234567",
		"(027) 555-0101":   "+64275550101",
		"0064 21 123 4567": "+64211234567",
		"+61 412 345 678":  "+61412345678",
	} {
		if got, ok := outbox.NormalisePhone(in); !ok || got != want {
			t.Errorf("NormalisePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "123", "21 123 4567", "+0 21 123", "021 12x 4567", "+64 21 123 4567 890 12345", "021\n1234567"} {
		if got, ok := outbox.NormalisePhone(bad); ok {
			t.Errorf("NormalisePhone(%q) = %q, want refused", bad, got)
		}
	}
}

// An SMS enqueued in a tenant transaction goes to the SMS sender (not the
// e-mail one) after commit, and the development mailbox lists it as an SMS.
func TestSMSGoesThroughTheSMSSenderAndShowsInTheMailbox(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	ctx, tn := env.Tenant(t)
	k := key("test-sms")
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return outbox.EnqueueSMS(tx, outbox.SMS{To: "021 123 4567", Text: "Kia ora, your appointment at Tōtara is at 10:00.", IdempotencyKey: k})
	})
	if err != nil {
		t.Fatal(err)
	}
	mail, texts := newRecorder(), &smsRecorder{}
	dl := outbox.NewDeliverer(env.DB, mail, dbtest.Quiet)
	dl.SMS = texts
	if n, err := dl.DeliverOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeliverOnce = %d, %v; want 1", n, err)
	}
	if mail.count(k) != 0 {
		t.Error("the SMS went to the e-mail sender")
	}
	if len(texts.sent) != 1 || texts.sent[0].To != "+64211234567" || texts.sent[0].IdempotencyKey != k ||
		texts.sent[0].TenantSlug != tn.Slug {
		t.Fatalf("SMS sent = %+v", texts.sent)
	}

	msgs, err := outbox.Recent(context.Background(), env.DB, 500)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range msgs {
		if m.To == "+64211234567" && m.Kind == "sms" && m.DeliveredAt != nil && m.Subject == "" && m.TenantSlug == tn.Slug {
			found = true
		}
	}
	if !found {
		t.Error("the mailbox does not list the delivered SMS")
	}
}

// The development sink succeeds, so its messages show as delivered; with no
// SMS sender at all an SMS is given up at once, not retried for days.
func TestSMSSinkAndNoProvider(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	ctx, _ := env.Tenant(t)
	sunk, orphan := key("test-sms-sink"), key("test-sms-none")
	enqueueSMS := func(k string) {
		t.Helper()
		if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
			return outbox.EnqueueSMS(tx, outbox.SMS{To: "+64 27 555 0101", Text: "Reminder: Harbourside, Tue 10:00.", IdempotencyKey: k})
		}); err != nil {
			t.Fatal(err)
		}
	}
	enqueueSMS(sunk)
	dl := outbox.NewDeliverer(env.DB, newRecorder(), dbtest.Quiet)
	dl.SMS = outbox.SMSSink{}
	if _, err := dl.DeliverOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := state(t, env, sunk); !s.Delivered {
		t.Errorf("sink: %+v, want delivered", s)
	}

	enqueueSMS(orphan)
	none := outbox.NewDeliverer(env.DB, newRecorder(), dbtest.Quiet)
	if _, err := none.DeliverOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := state(t, env, orphan); !s.Failed || s.Delivered || s.Attempts != 1 || s.LastError == "" {
		t.Errorf("no provider: %+v, want given up on the first attempt", s)
	}
}

// Bad SMS input is refused field by field and queues nothing.
func TestEnqueueSMSRefusesBadInput(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	long := make([]rune, outbox.MaxSMSRunes+1)
	for i := range long {
		long[i] = 'ā'
	}
	for name, m := range map[string]outbox.SMS{
		"to":              {To: "not a number", Text: "Hi", IdempotencyKey: key("k")},
		"text":            {To: "021 123 4567", Text: "  ", IdempotencyKey: key("k")},
		"long text":       {To: "021 123 4567", Text: string(long), IdempotencyKey: key("k")},
		"control":         {To: "021 123 4567", Text: "a\x1bb", IdempotencyKey: key("k")},
		"idempotency_key": {To: "021 123 4567", Text: "Hi", IdempotencyKey: "has space"},
	} {
		err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return outbox.EnqueueSMS(tx, m) })
		if !errors.Is(err, fault.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
