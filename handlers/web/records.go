package web

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/correction"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// A person's record as it leaves Tūhono (issue 6, item 8): the whole record
// as a PDF for the person (HIPC rule 6) and as a FHIR R4 bundle for the PMS,
// the "who accessed my record" report, and correction requests (HIPC rule 7).
//
// Exports need "note read": they carry clinical content, so admin roles,
// who read no notes, cannot export; and each holds only what the viewer may
// read (note.CanRead), so a Support Worker's export has no HIP notes. The
// access report needs "patient read": the clinical team and practice admins
// both answer rule 6 requests, and it shows who and when, never content.
// Corrections need "patient update": the clinicians who may change the record
// decide whether to correct it or attach the person's statement.

var (
	recordExport  = httpx.Perm{Object: "note", Action: "read"}
	recordAccess  = httpx.Perm{Object: "patient", Action: "read"}
	recordCorrect = httpx.Perm{Object: "patient", Action: "update"}
)

var recordPages = []page{
	{"GET", "/t/:tenant/patients/:id/record.pdf", member, recordExport, (*handler).recordPDF, false},
	{"GET", "/t/:tenant/patients/:id/record.fhir.json", member, recordExport, (*handler).recordFHIR, false},
	{"GET", "/t/:tenant/patients/:id/access", member, recordAccess, (*handler).recordAccessReport, false},
	{"GET", "/t/:tenant/patients/:id/corrections", member, recordCorrect, (*handler).corrections, false},
	{"POST", "/t/:tenant/patients/:id/corrections", member, recordCorrect, (*handler).saveCorrection, false},
}

const (
	pageRecordAccess      = "records_access.html"
	pageRecordCorrections = "records_corrections.html"
)

func init() { pageFiles = append(pageFiles, pageRecordAccess, pageRecordCorrections) }

// staffNames resolves staff ids to names for the record's exports.
func (h *handler) staffNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	if h.Accounts == nil {
		return map[uuid.UUID]string{}, nil
	}
	var want []uuid.UUID
	for _, id := range ids {
		if id != uuid.Nil && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	return h.Accounts.Names(ctx, want)
}

// exportRecord answers with the person's record in format; the file name
// carries the date and a short id, never the person's name.
func (h *handler) exportRecord(c *fiber.Ctx, format, contentType, ext string) error {
	ctx := httpx.Context(c)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	b, err := correction.Export(ctx, h.DB, h.Keyring, inboxViewer(ctx), id, format, h.staffNames)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("record-%s-%s.%s", time.Now().UTC().Format("2006-01-02"), id.String()[:8], ext)
	return sendDocument(c, contentType, name, b)
}

func (h *handler) recordPDF(c *fiber.Ctx) error {
	return h.exportRecord(c, "pdf", "application/pdf", "pdf")
}

func (h *handler) recordFHIR(c *fiber.Ctx) error {
	return h.exportRecord(c, "fhir", "application/fhir+json", "fhir.json")
}

// --- Who accessed my record ---

type accessPage struct {
	layout
	Person     string
	PatientURL string
	Events     []accessView
}

type accessView struct {
	At                                  timeView
	Who, Roles, Action, Outcome, Reason string
}

// accessActions says in words what each audited act was.
var accessActions = map[string]string{
	note.ActionRead: "Read a note", note.ActionWrite: "Wrote a note", note.ActionSign: "Signed a note",
	note.ActionAddendum: "Added an addendum", note.ActionEnteredError: "Marked a note entered in error",
	note.ActionCoSign: "Co-signed a note", note.ActionBreakGlass: "Opened a restricted note (break-glass)",
	note.ActionList: "Read notes on the timeline", inbox.ActionSend: "Sent a handover to the GP",
	inbox.ActionRead: "Read a handover", inbox.ActionList: "Read handovers in a list",
	inbox.ActionPrint: "Printed a handover letter", correction.ActionExport: "Exported the record",
	correction.ActionRequest: "Recorded a correction request", correction.ActionDecide: "Decided a correction request",
	correction.ActionRead: "Read correction requests",
}

func (h *handler) recordAccessReport(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	p, err := patient.Get(ctx, h.DB, id, "who accessed my record report")
	if err != nil {
		return err
	}
	events, err := note.AccessReport(ctx, h.DB, id)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ActorUserID
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return err
	}
	pg := accessPage{layout: h.tenantPage(c, "Who accessed this record", "/patients/"+id.String()+"/access"),
		Person: hoPersonName(p), PatientURL: tenantPath(t.Slug, "/patients/"+id.String())}
	for _, e := range events {
		v := accessView{At: showTime(e.At, t.Location()), Who: "Tūhono (automatic)", Action: e.Action,
			Outcome: e.Outcome, Reason: e.Reason}
		if e.ActorUserID != uuid.Nil {
			v.Who = hoNameOr(names, e.ActorUserID)
		}
		if words, ok := accessActions[e.Action]; ok {
			v.Action = words
		}
		for i, r := range e.ActorRoles {
			if i > 0 {
				v.Roles += ", "
			}
			v.Roles += r
		}
		pg.Events = append(pg.Events, v)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.render(c, fiber.StatusOK, pageRecordAccess, pg)
}

// --- Corrections (HIPC rule 7) ---

type correctionsPage struct {
	layout
	Notice, Message, StatementError string
	Statement                       string
	CSRF, ActionURL, PatientURL     string
	Person                          string
	Requests                        []correctionView
}

type correctionView struct {
	ID, Statement, Decision, DecidedBy string
	Requested, Decided                 timeView
	Pending                            bool
	DisclosedTo                        []string
}

var correctionNotices = map[string]string{
	"requested": "The request is recorded. Decide whether to correct the record or attach the person's statement.",
	"decided":   "The decision is recorded.",
}

var decisionLabels = map[correction.Decision]string{correction.Corrected: "Corrected",
	correction.StatementAttached: "Not corrected: the person's statement is attached to the record"}

func (h *handler) corrections(c *fiber.Ctx) error {
	return h.renderCorrections(c, fiber.StatusOK, "", "", "")
}

func (h *handler) renderCorrections(c *fiber.Ctx, status int, message, statement, statementErr string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	p, err := patient.Get(ctx, h.DB, id, "correction requests")
	if err != nil {
		return err
	}
	list, err := correction.List(ctx, h.DB, h.Keyring, inboxViewer(ctx), id)
	if err != nil {
		return err
	}
	var ids []uuid.UUID
	for _, k := range list {
		ids = append(ids, k.DecidedBy)
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return err
	}
	base := tenantPath(t.Slug, "/patients/"+id.String())
	pg := correctionsPage{layout: h.tenantPage(c, "Correction requests", "/patients/"+id.String()+"/corrections"),
		Notice: correctionNotices[c.Query("done")], Message: message, StatementError: statementErr, Statement: statement,
		CSRF: httpx.CSRFToken(c), ActionURL: base + "/corrections", PatientURL: base, Person: hoPersonName(p)}
	for _, k := range list {
		v := correctionView{ID: k.ID.String(), Statement: k.Statement, Requested: showTime(k.RequestedAt, t.Location()),
			Pending: k.Decision == correction.Pending, Decision: decisionLabels[k.Decision]}
		if k.DecidedAt != nil {
			v.Decided, v.DecidedBy = showTime(*k.DecidedAt, t.Location()), hoNameOr(names, k.DecidedBy)
		}
		for _, d := range k.DisclosedTo {
			v.DisclosedTo = append(v.DisclosedTo, d.String())
		}
		pg.Requests = append(pg.Requests, v)
	}
	return h.render(c, status, pageRecordCorrections, pg)
}

// saveCorrection records a new request (statement) or the decision on one
// (correction_id and decision), then shows the list again.
func (h *handler) saveCorrection(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	v := inboxViewer(ctx)
	done := "requested"
	if s := formValue(c, "correction_id"); s != "" {
		cid, perr := uuid.Parse(s)
		if perr != nil {
			return fault.NotFound
		}
		err, done = correction.Decide(ctx, h.DB, v, id, cid, correction.Decision(formValue(c, "decision"))), "decided"
	} else {
		_, err = correction.Request(ctx, h.DB, h.Keyring, v, id, formValue(c, "statement"))
	}
	if err != nil {
		msg, status, ok := hoFailure(err)
		if !ok {
			return err
		}
		statementErr := ""
		for _, f := range fault.As(err).Fields {
			if f.Field == "statement" {
				statementErr = sentence(f.Message)
			}
		}
		return h.renderCorrections(c, status, msg, formValue(c, "statement"), statementErr)
	}
	return c.Redirect(tenantPath(t.Slug, "/patients/"+id.String()+"/corrections")+"?done="+done, fiber.StatusSeeOther)
}
