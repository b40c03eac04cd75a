package web

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/correction"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/models/record"
	"github.com/tuhono/tuhono/tenants"
)

// The GP's handover inbox (issue 6, item 3): handovers addressed to the
// signed-in GP or nurse, unread first; opening one sets its read receipt;
// each prints as a PDF letter. Who may read which handover is the domain's
// rule (inbox.CanRead); "handover read" is the gate.

var handoverRead = httpx.Perm{Object: "handover", Action: "read"}

// inboxPages is the inbox and, from records.go, the person's record routes.
var inboxPages = append(handoverInboxPages, recordPages...)

var handoverInboxPages = []page{
	{"GET", "/t/:tenant/inbox", member, handoverRead, (*handler).inbox, false},
	{"GET", "/t/:tenant/inbox/:id", member, handoverRead, (*handler).inboxHandover, false},
	{"GET", "/t/:tenant/inbox/:id/letter.pdf", member, handoverRead, (*handler).inboxLetter, false},
}

const (
	pageInbox         = "inbox.html"
	pageInboxHandover = "inbox_handover.html"
)

func init() { pageFiles = append(pageFiles, pageInbox, pageInboxHandover) }

// inboxViewer is the signed-in member as the clinical models see them.
func inboxViewer(ctx context.Context) note.Viewer {
	a, _ := tenants.ActorFrom(ctx)
	t, _ := tenants.FromContext(ctx)
	return note.Viewer{UserID: a.UserID, TenantID: t.ID, Roles: a.Roles}
}

type inboxPage struct {
	layout
	Unread   int
	Received []handoverView
	Sent     []handoverView
}

type handoverView struct {
	ID, Person, From, To, FirstLine, Text string
	Sent, ReadAt                          timeView
	Unread                                bool
	URL, LetterURL, PatientURL            string
}

func (h *handler) handoverViews(c *fiber.Ctx, list []inbox.Handover) ([]handoverView, error) {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	var ids []uuid.UUID
	for _, x := range list {
		ids = append(ids, x.AuthorID, x.ToGP)
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return nil, err
	}
	loc := t.Location()
	out := make([]handoverView, len(list))
	for i, x := range list {
		base := tenantPath(t.Slug, "/inbox/"+x.ID.String())
		v := handoverView{ID: x.ID.String(), Person: x.PatientName(), From: hoNameOr(names, x.AuthorID),
			To: hoNameOr(names, x.ToGP), FirstLine: x.FirstLine, Text: x.Text, Sent: showTime(x.SentAt, loc),
			Unread: !x.Read(), URL: base, LetterURL: base + "/letter.pdf",
			PatientURL: tenantPath(t.Slug, "/patients/"+x.PatientID.String())}
		if x.ReadAt != nil {
			v.ReadAt = showTime(*x.ReadAt, loc)
		}
		out[i] = v
	}
	return out, nil
}

// inbox lists the handovers addressed to the member, and those they sent
// with their read receipts.
func (h *handler) inbox(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	v := inboxViewer(ctx)
	got, err := inbox.Inbox(ctx, h.DB, h.Keyring, v)
	if err != nil {
		return err
	}
	sent, err := inbox.Sent(ctx, h.DB, h.Keyring, v)
	if err != nil {
		return err
	}
	pg := inboxPage{layout: h.tenantPage(c, "Handover inbox", "/inbox")}
	if pg.Received, err = h.handoverViews(c, got); err != nil {
		return err
	}
	if pg.Sent, err = h.handoverViews(c, sent); err != nil {
		return err
	}
	for _, x := range pg.Received {
		if x.Unread {
			pg.Unread++
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.render(c, fiber.StatusOK, pageInbox, pg)
}

type inboxHandoverPage struct {
	layout
	Handover handoverView
	InboxURL string
}

// inboxHandover shows one handover; the addressed GP's first open is the
// read receipt.
func (h *handler) inboxHandover(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	x, err := inbox.Open(ctx, h.DB, h.Keyring, inboxViewer(ctx), id)
	if err != nil {
		return err
	}
	views, err := h.handoverViews(c, []inbox.Handover{x})
	if err != nil {
		return err
	}
	t, _ := tenants.FromContext(ctx)
	pg := inboxHandoverPage{layout: h.tenantPage(c, "Handover: "+x.PatientName(), "/inbox/"+id.String()),
		Handover: views[0], InboxURL: tenantPath(t.Slug, "/inbox")}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.render(c, fiber.StatusOK, pageInboxHandover, pg)
}

// inboxLetter prints the handover as a letter to the GP. The file name
// carries the date and the handover's id, never the person's name: file
// names end up in download folders and PMS import logs.
func (h *handler) inboxLetter(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	x, err := inbox.Get(ctx, h.DB, h.Keyring, inboxViewer(ctx), id)
	if err != nil {
		return err
	}
	person, err := correction.Person(ctx, h.DB, x.PatientID, "handover letter")
	if err != nil {
		return err
	}
	names, err := h.hoNames(c, x.AuthorID, x.ToGP)
	if err != nil {
		return err
	}
	ho := record.Handover{ID: x.ID.String(), SessionID: x.AppointmentID.String(), Text: x.Text, SentAt: x.SentAt,
		To:   record.Practitioner{Name: hoNameOr(names, x.ToGP), Role: "GP"},
		From: record.Practitioner{Name: hoNameOr(names, x.AuthorID)}}
	if x.ReadAt != nil {
		ho.ReadAt = *x.ReadAt
	}
	pdf, err := record.HandoverLetterPDF(record.HandoverLetter{Practice: person.Practice, Person: person, Handover: ho})
	if err != nil {
		return err
	}
	name := fmt.Sprintf("handover-%s-%s.pdf", x.SentAt.In(time.UTC).Format("2006-01-02"), x.ID.String()[:8])
	return sendDocument(c, "application/pdf", name, pdf)
}

// sendDocument answers with a file to keep: never cached, never sniffed.
func sendDocument(c *fiber.Ctx, contentType, filename string, body []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(body)
}
