package web

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/workforce"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permWorkforceRead   = httpx.Perm{Object: "workforce", Action: "read"}
	permWorkforceUpdate = httpx.Perm{Object: "workforce", Action: "update"}
)

// workforcePages: a practice's practitioners with their FTE per service line
// over time, and their leave, which per-FTE report figures are normalised
// by (working days net of leave and public holidays).
var workforcePages = []page{
	{"GET", "/t/:tenant/workforce", member, permWorkforceRead, (*handler).workforce, false},
	{"POST", "/t/:tenant/workforce/fte", member, permWorkforceUpdate, (*handler).setFTE, false},
	{"POST", "/t/:tenant/workforce/leave", member, permWorkforceUpdate, (*handler).addLeave, false},
	{"POST", "/t/:tenant/workforce/leave/:id/remove", member, permWorkforceUpdate, (*handler).removeLeave, false},
}

const pageWorkforce = "workforce.html"

func init() { pageFiles = append(pageFiles, pageWorkforce) }

var wfNotices = map[string]string{
	"fte":     "The FTE is saved. Days before it keep the FTE they had.",
	"leave":   "The leave is recorded.",
	"removed": "The leave is removed.",
}

var wfKindLabels = map[string]string{"annual": "Annual leave", "sick": "Sick leave", "training": "Training",
	"parental": "Parental leave", "anniversary": "Regional anniversary day", "other": "Other"}

var wfLineLabels = map[string]string{workforce.LineHIP: "HIP", workforce.LineHealthCoach: "Health Coach",
	workforce.LineSupportWorker: "Support Worker"}

type wfSpanView struct {
	Line, FTE, From, To string
	Current             bool
}

type wfPerson struct {
	Name    string
	Roles   string
	Current []string // "HIP 0.8"
	History []wfSpanView
}

type wfLeaveView struct {
	Name, Kind, From, To string
	Days                 int
	RemoveURL            string
}

type workforcePage struct {
	layout
	Notice    string
	CSRF      string
	People    []wfPerson
	Leave     []wfLeaveView
	CanEdit   bool
	FTE       *form
	FTEFields []selectView
	FTEInputs []inputView
	FTEURL    string
	Away      *form
	AwayKinds []selectView
	AwayDates []inputView
	AwayURL   string
}

func wfDate(d time.Time) string { return d.Format("Mon 2 Jan 2006") }

func (h *handler) renderWorkforce(c *fiber.Ctx, status int, fte, away *form) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	today := calendar.Today(t.Location())
	staff, err := h.Accounts.Staff(ctx)
	if err != nil {
		return err
	}
	people, err := h.calPractitioners(c)
	if err != nil {
		return err
	}
	spans, err := workforce.Spans(ctx, h.DB)
	if err != nil {
		return err
	}
	// The last twelve months and everything ahead.
	leave, err := workforce.Leaves(ctx, h.DB, today.AddDate(-1, 0, 0), today.AddDate(10, 0, 0))
	if err != nil {
		return err
	}
	names := map[uuid.UUID]string{}
	for _, m := range staff {
		names[m.UserID] = m.User.Name
	}
	p := workforcePage{layout: h.tenantPage(c, "Workforce", "/workforce"), Notice: wfNotices[c.Query("done")],
		CSRF: httpx.CSRFToken(c), CanEdit: h.can(ctx, permWorkforceUpdate),
		FTEURL: tenantPath(t.Slug, "/workforce/fte"), AwayURL: tenantPath(t.Slug, "/workforce/leave")}
	// Practitioners first, then anyone else who still has FTE on record
	// (a role removed, a membership ended): their history stays visible.
	order := []uuid.UUID{}
	roles := map[uuid.UUID]string{}
	for _, m := range people {
		order = append(order, m.UserID)
		roles[m.UserID] = strings.Join(roleLabelList(slices.DeleteFunc(slices.Clone(m.Roles), func(r string) bool { return !calPractises(r) })), ", ")
	}
	for _, s := range spans {
		if !slices.Contains(order, s.UserID) {
			order = append(order, s.UserID)
		}
	}
	for _, id := range order {
		w := wfPerson{Name: names[id], Roles: roles[id]}
		if w.Roles == "" {
			w.Roles = "No longer in a practitioner role"
		}
		for _, s := range spans {
			if s.UserID != id {
				continue
			}
			v := wfSpanView{Line: wfLineLabels[s.Line], FTE: strconv.FormatFloat(s.FTE, 'f', 2, 64), From: wfDate(s.StartsOn),
				Current: s.Current(today)}
			if s.EndsOn != nil {
				v.To = wfDate(s.EndsOn.AddDate(0, 0, -1))
			}
			if v.Current {
				w.Current = append(w.Current, v.Line+" "+v.FTE)
			}
			w.History = append(w.History, v)
		}
		p.People = append(p.People, w)
	}
	for _, l := range leave {
		p.Leave = append(p.Leave, wfLeaveView{Name: names[l.UserID], Kind: wfKindLabels[l.Kind], From: wfDate(l.StartsOn),
			To: wfDate(l.EndsOn), Days: int(l.EndsOn.Sub(l.StartsOn).Hours()/24) + 1,
			RemoveURL: tenantPath(t.Slug, "/workforce/leave/"+l.ID.String()+"/remove")})
	}
	if p.CanEdit {
		var who []option
		for _, m := range people {
			who = append(who, option{Value: m.UserID.String(), Label: m.User.Name})
		}
		if fte == nil {
			fte = newForm(c)
			fte.Set("starts_on", today.Format(time.DateOnly))
		}
		if away == nil {
			away = newForm(c)
		}
		p.FTE, p.Away = fte, away
		var lines []option
		for _, l := range workforce.Lines {
			lines = append(lines, option{Value: l, Label: wfLineLabels[l]})
		}
		p.FTEFields = []selectView{selectField(fte, "user", "Practitioner", "", slices.Clone(who)),
			selectField(fte, "line", "Service line", "The practitioner must hold this role here.", lines)}
		p.FTEInputs = []inputView{
			fte.Input("fte", "FTE", "text", "off", "inputmode=decimal", "hint=1 is full time, 0.5 half time; 0 ends the current FTE in this line."),
			fte.Input("starts_on", "From", "date", "off", "hint=Days before keep the FTE they had."),
		}
		var kinds []option
		for _, k := range workforce.Kinds {
			kinds = append(kinds, option{Value: k, Label: wfKindLabels[k]})
		}
		p.AwayKinds = []selectView{selectField(away, "person", "Practitioner", "", slices.Clone(who)),
			selectField(away, "kind", "Kind of leave", "A regional anniversary day is recorded here: it is not a national holiday.", kinds)}
		p.AwayDates = []inputView{away.Input("from", "First day", "date", "off"),
			away.Input("to", "Last day", "date", "off", "hint=Included. Public holidays inside are counted once, as holidays.")}
	}
	return h.render(c, status, pageWorkforce, p)
}

func (h *handler) workforce(c *fiber.Ctx) error {
	return h.renderWorkforce(c, fiber.StatusOK, nil, nil)
}

// wfDay reads a date field; a value that is not a date is failed on f.
func wfDay(f *form, name string) time.Time {
	v := f.Values[name]
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		f.Fail(name, "enter a date like 2026-07-01")
	}
	return d
}

// wfUser reads a practitioner field: anything but a uuid is nobody.
func wfUser(f *form, name string) uuid.UUID {
	id, err := uuid.Parse(f.Values[name])
	if err != nil {
		f.Fail(name, "choose a practitioner")
	}
	return id
}

func (h *handler) setFTE(c *fiber.Ctx) error {
	f := newForm(c)
	for _, k := range []string{"user", "line", "fte", "starts_on"} {
		f.Set(k, strings.TrimSpace(formValue(c, k)))
	}
	user, from := wfUser(f, "user"), wfDay(f, "starts_on")
	fte, err := strconv.ParseFloat(f.Values["fte"], 64)
	if err != nil || math.IsInf(fte, 0) {
		f.Fail("fte", "enter FTE as a number from 0 to 1, like 0.8")
	}
	if f.Failed() {
		return h.renderWorkforce(c, fiber.StatusUnprocessableEntity, f, nil)
	}
	if err := workforce.SetFTE(httpx.Context(c), h.DB, actorID(c), user, f.Values["line"], fte, from); err != nil {
		if f.Adopt(err, map[string]string{"user": "user", "line": "line", "fte": "fte", "starts_on": "starts_on"}) {
			return h.renderWorkforce(c, fiber.StatusUnprocessableEntity, f, nil)
		}
		return err
	}
	t, _ := tenants.FromContext(httpx.Context(c))
	return redirect(c, tenantPath(t.Slug, "/workforce?done=fte"))
}

func (h *handler) addLeave(c *fiber.Ctx) error {
	f := newForm(c)
	// The leave form's practitioner is "person": the FTE form on the same
	// page has "user", and field ids must not repeat.
	for _, k := range []string{"person", "kind", "from", "to"} {
		f.Set(k, strings.TrimSpace(formValue(c, k)))
	}
	user, from, to := wfUser(f, "person"), wfDay(f, "from"), wfDay(f, "to")
	if f.Failed() {
		return h.renderWorkforce(c, fiber.StatusUnprocessableEntity, nil, f)
	}
	if _, err := workforce.AddLeave(httpx.Context(c), h.DB, actorID(c), user, f.Values["kind"], from, to); err != nil {
		if errors.Is(err, fault.Conflict) {
			f.Fail("from", fault.As(err).Message)
			return h.renderWorkforce(c, fiber.StatusConflict, nil, f)
		}
		if f.Adopt(err, map[string]string{"user": "person", "kind": "kind", "from": "from", "to": "to"}) {
			return h.renderWorkforce(c, fiber.StatusUnprocessableEntity, nil, f)
		}
		return err
	}
	t, _ := tenants.FromContext(httpx.Context(c))
	return redirect(c, tenantPath(t.Slug, "/workforce?done=leave"))
}

func (h *handler) removeLeave(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return fault.NotFound
	}
	if err := workforce.RemoveLeave(httpx.Context(c), h.DB, actorID(c), id); err != nil {
		return err // another practice's leave is not found here
	}
	t, _ := tenants.FromContext(httpx.Context(c))
	return redirect(c, tenantPath(t.Slug, "/workforce?done=removed"))
}
