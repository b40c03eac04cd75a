package web

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permScheduleRead   = httpx.Perm{Object: "schedule", Action: "read"}
	permScheduleUpdate = httpx.Perm{Object: "schedule", Action: "update"}
)

// calendarPages: a practitioner's day and week, the practice day board, and
// the practitioner's calendar feed with its public, secret URL.
var calendarPages = []page{
	{"GET", "/t/:tenant/day", member, permAppointmentRead, (*handler).calendarDay, false},
	{"GET", "/t/:tenant/board", member, permAppointmentRead, (*handler).calendarBoard, false},
	{"GET", "/t/:tenant/week", member, permAppointmentRead, (*handler).calendarWeek, false},
	{"GET", "/t/:tenant/calendar", member, permScheduleRead, (*handler).calendarFeedPage, false},
	{"POST", "/t/:tenant/calendar", member, permScheduleUpdate, (*handler).calendarFeedChange, false},
	// The feed is fetched by calendar apps without a session: the secret in
	// the URL is the credential (only its hash is stored).
	{"GET", "/ical/:tenant/:token", anyone, none, (*handler).calendarICS, false},
}

const (
	pageDay      = "day.html"
	pageBoard    = "board.html"
	pageWeek     = "week.html"
	pageCalendar = "calendar.html"
)

func init() { pageFiles = append(pageFiles, pageDay, pageBoard, pageWeek, pageCalendar) }

// calApptView is one appointment on a day, board or week.
type calApptView struct {
	URL, Start, End, ISO, Person, Line, Mode, Kind, Status, StatusKey string
	Minutes                                                           int
	Group                                                             bool
	Attendees, Capacity                                               int
}

// calSlotView is a schedule block or free time.
type calSlotView struct {
	Start, End, ISO, Kind string
	Minutes               int
}

var calBlockLabels = map[schedule.Kind]string{schedule.KindOpen: "Open (same day)", schedule.KindBooked: "Booked ahead",
	schedule.KindGroup: "Group", schedule.KindAdmin: "Admin"}

func calAppt(slug string, loc *time.Location, e calendar.Entry) calApptView {
	v := calApptView{URL: tenantPath(slug, "/appointments/"+e.ID.String()), Start: calClock(e.StartsAt, loc), End: calClock(e.EndsAt, loc),
		ISO: e.StartsAt.Format(time.RFC3339), Person: e.PatientName, Line: calLineLabels[e.ServiceLine],
		Mode: calModeLabels[e.Mode], Kind: calKindLabels[e.Kind], Status: calStatusLabels[e.Status],
		StatusKey: string(e.Status), Minutes: e.Minutes(), Attendees: e.Attendees, Capacity: e.Capacity}
	if e.PatientID == uuid.Nil {
		v.Group = true
		v.Person = "Group: " + strconv.Itoa(e.Attendees) + " of " + strconv.Itoa(e.Capacity)
	}
	return v
}

func calSlot(loc *time.Location, s schedule.Slot) calSlotView {
	return calSlotView{Start: calClock(s.Start, loc), End: calClock(s.End, loc), ISO: s.Start.Format(time.RFC3339),
		Kind: calBlockLabels[s.Kind], Minutes: s.Minutes()}
}

func calClock(t time.Time, loc *time.Location) string { return t.In(loc).Format("3:04 pm") }

// calDateParam reads a yyyy-mm-dd query value; empty or unreadable means today
// in the tenant's zone, and ok says whether it was readable.
func calDateParam(c *fiber.Ctx, name string, loc *time.Location) (time.Time, bool) {
	s := c.Query(name)
	if s == "" {
		return calendar.Today(loc), true
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return calendar.Today(loc), false
	}
	return d, true
}

// calChoice is the practitioner a day or week shows: ?practitioner=
// when it names one here, else the signed-in person when they practise,
// else the first practitioner.
type calChoice struct {
	ID      uuid.UUID
	Name    string
	Options selectView
	Form    *form
}

func (h *handler) calChoosePractitioner(c *fiber.Ctx) (calChoice, error) {
	ctx := httpx.Context(c)
	actor, _ := tenants.ActorFrom(ctx)
	staff, err := h.calPractitioners(c)
	if err != nil {
		return calChoice{}, err
	}
	want := c.Query("practitioner")
	pick := func(match func(account.Membership) bool) (account.Membership, bool) {
		for _, m := range staff {
			if match(m) {
				return m, true
			}
		}
		return account.Membership{}, false
	}
	m, ok := pick(func(m account.Membership) bool { return want != "" && m.UserID.String() == want })
	if !ok && want != "" {
		return calChoice{}, fault.New(fault.KindNotFound, "practitioner not found", nil)
	}
	if !ok {
		m, ok = pick(func(m account.Membership) bool { return m.UserID == actor.UserID })
	}
	if !ok && len(staff) > 0 {
		m, ok = staff[0], true
	}
	f := newForm(c)
	ch := calChoice{Form: f}
	var ids []string
	names := map[string]string{}
	for _, s := range staff {
		ids = append(ids, s.UserID.String())
		names[s.UserID.String()] = s.User.Name
	}
	if ok {
		ch.ID, ch.Name = m.UserID, m.User.Name
		f.Set("practitioner", m.UserID.String())
	}
	ch.Options = ptSelect(f, "practitioner", "Practitioner", "", ids, func(v string) string { return names[v] })
	return ch, nil
}

// calDayPage is one practitioner's day.
type calDayPage struct {
	layout
	Date, PrevURL, NextURL, TodayURL, WeekURL, BoardURL, FeedURL, DateValue string
	Practitioner                                                            calChoice
	None, BadDate                                                           bool
	Blocks, Free                                                            []calSlotView
	Appointments, Waiting                                                   []calApptView
	FreeMinutes                                                             int
}

func (h *handler) calendarDay(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	date, ok := calDateParam(c, "date", loc)
	pc, err := h.calChoosePractitioner(c)
	if err != nil {
		return err
	}
	p := calDayPage{layout: h.tenantPage(c, "Day", "/day"), Practitioner: pc, BadDate: !ok,
		Date: date.Format("Monday 2 January 2006"), DateValue: date.Format(time.DateOnly), None: pc.ID == uuid.Nil}
	q := "?practitioner=" + pc.ID.String() + "&date="
	p.PrevURL = tenantPath(t.Slug, "/day"+q+date.AddDate(0, 0, -1).Format(time.DateOnly))
	p.NextURL = tenantPath(t.Slug, "/day"+q+date.AddDate(0, 0, 1).Format(time.DateOnly))
	p.TodayURL = tenantPath(t.Slug, "/day?practitioner="+pc.ID.String())
	p.WeekURL = tenantPath(t.Slug, "/week?practitioner="+pc.ID.String()+"&week="+date.Format(time.DateOnly))
	p.BoardURL = tenantPath(t.Slug, "/board?date="+date.Format(time.DateOnly))
	p.FeedURL = tenantPath(t.Slug, "/calendar")
	if !p.None {
		d, err := calendar.Day(ctx, h.DB, pc.ID, date)
		if err != nil {
			return err
		}
		for _, b := range d.Blocks {
			p.Blocks = append(p.Blocks, calSlot(loc, b))
		}
		for _, b := range d.Free {
			p.Free = append(p.Free, calSlot(loc, b))
			p.FreeMinutes += b.Minutes()
		}
		for _, e := range d.Appointments {
			p.Appointments = append(p.Appointments, calAppt(t.Slug, loc, e))
		}
		for _, e := range d.Waiting {
			p.Waiting = append(p.Waiting, calAppt(t.Slug, loc, e))
		}
	}
	return h.render(c, fiber.StatusOK, pageDay, p)
}

// calBoardPage is the practice's day, one section per practitioner.
type calBoardPage struct {
	layout
	Date, DateValue, PrevURL, NextURL, TodayURL string
	BadDate                                     bool
	Columns                                     []calBoardColumn
	Total                                       int
}

type calBoardColumn struct {
	Name, DayURL string
	Blocks       []calSlotView
	Appointments []calApptView
}

func (h *handler) calendarBoard(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	date, ok := calDateParam(c, "date", loc)
	b, err := calendar.Board(ctx, h.DB, date)
	if err != nil {
		return err
	}
	names, err := h.calStaffNames(c)
	if err != nil {
		return err
	}
	p := calBoardPage{layout: h.tenantPage(c, "Day board", "/board"), BadDate: !ok,
		Date: date.Format("Monday 2 January 2006"), DateValue: date.Format(time.DateOnly),
		PrevURL:  tenantPath(t.Slug, "/board?date="+date.AddDate(0, 0, -1).Format(time.DateOnly)),
		NextURL:  tenantPath(t.Slug, "/board?date="+date.AddDate(0, 0, 1).Format(time.DateOnly)),
		TodayURL: tenantPath(t.Slug, "/board")}
	for _, col := range b.Columns {
		bc := calBoardColumn{Name: names[col.PractitionerID],
			DayURL: tenantPath(t.Slug, "/day?practitioner="+col.PractitionerID.String()+"&date="+date.Format(time.DateOnly))}
		for _, s := range col.Blocks {
			bc.Blocks = append(bc.Blocks, calSlot(loc, s))
		}
		for _, e := range col.Appointments {
			bc.Appointments = append(bc.Appointments, calAppt(t.Slug, loc, e))
			p.Total++
		}
		p.Columns = append(p.Columns, bc)
	}
	return h.render(c, fiber.StatusOK, pageBoard, p)
}

// calWeekPage is seven days of one practitioner.
type calWeekPage struct {
	layout
	Title, PrevURL, NextURL, ThisURL, DateValue string
	Practitioner                                calChoice
	None, BadDate                               bool
	Days                                        []calWeekDay
}

type calWeekDay struct {
	Date, DayURL                                         string
	Booked, Completed, DidNotAttend, Cancelled, OpenMins int
	Appointments                                         []calApptView
}

func (h *handler) calendarWeek(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	start, ok := calDateParam(c, "week", loc)
	if c.Query("week") == "" {
		// This week starts on its Monday.
		start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
	}
	pc, err := h.calChoosePractitioner(c)
	if err != nil {
		return err
	}
	p := calWeekPage{layout: h.tenantPage(c, "Week", "/week"), Practitioner: pc, None: pc.ID == uuid.Nil, BadDate: !ok,
		Title: "Week from " + start.Format("Monday 2 January 2006"), DateValue: start.Format(time.DateOnly)}
	q := "/week?practitioner=" + pc.ID.String() + "&week="
	p.PrevURL = tenantPath(t.Slug, q+start.AddDate(0, 0, -7).Format(time.DateOnly))
	p.NextURL = tenantPath(t.Slug, q+start.AddDate(0, 0, 7).Format(time.DateOnly))
	p.ThisURL = tenantPath(t.Slug, "/week?practitioner="+pc.ID.String())
	if !p.None {
		w, err := calendar.Week(ctx, h.DB, pc.ID, start)
		if err != nil {
			return err
		}
		for _, d := range w.Days {
			v := calWeekDay{Date: d.Date.Format("Mon 2 Jan"), Booked: d.Booked, Completed: d.Completed,
				DidNotAttend: d.DidNotAttend, Cancelled: d.Cancelled, OpenMins: d.OpenMinutes,
				DayURL: tenantPath(t.Slug, "/day?practitioner="+pc.ID.String()+"&date="+d.Date.Format(time.DateOnly))}
			for _, e := range d.Appointments {
				v.Appointments = append(v.Appointments, calAppt(t.Slug, loc, e))
			}
			p.Days = append(p.Days, v)
		}
	}
	return h.render(c, fiber.StatusOK, pageWeek, p)
}

// calFeedView is the signed-in practitioner's feed: make, rotate, revoke.
type calFeedView struct {
	layout
	Form      *form
	Notice    string
	Practises bool
	Live      bool
	Since     timeView
	FeedURL   string // shown once, straight after it is made
	ActionURL string
	CanChange bool
}

var calFeedNotices = map[string]string{"revoked": "The calendar feed is revoked. Calendars subscribed to it stop updating."}

func (h *handler) calendarFeedPage(c *fiber.Ctx) error {
	return h.calRenderFeed(c, fiber.StatusOK, newForm(c), "")
}

func (h *handler) calRenderFeed(c *fiber.Ctx, status int, f *form, secret string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	p := calFeedView{layout: h.tenantPage(c, "Calendar feed", "/calendar"), Form: f, Notice: calFeedNotices[c.Query("done")],
		ActionURL: tenantPath(t.Slug, "/calendar"), CanChange: h.can(ctx, permScheduleUpdate)}
	for _, r := range actor.Roles {
		p.Practises = p.Practises || calPractises(r)
	}
	if p.Practises {
		info, live, err := calendar.CurrentFeed(ctx, h.DB, actor.UserID)
		if err != nil {
			return err
		}
		p.Live, p.Since = live, showTime(info.CreatedAt, t.Location())
	}
	if secret != "" {
		p.FeedURL = h.calAbsolute(c, "/ical/"+t.Slug+"/"+secret)
	}
	return h.render(c, status, pageCalendar, p)
}

// calAbsolute makes a site path into a URL a calendar app can subscribe to:
// on the configured origin, else the one the request came to.
func (h *handler) calAbsolute(c *fiber.Ctx, path string) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL + path
	}
	return c.BaseURL() + path
}

// calendarFeedChange makes, rotates or revokes the signed-in practitioner's
// feed. A new secret is shown once, on the page this answers with.
func (h *handler) calendarFeedChange(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	var secret string
	var err error
	switch formValue(c, "action") {
	case "create":
		secret, _, err = calendar.CreateFeed(ctx, h.DB, actor.UserID, actor.UserID)
	case "rotate":
		secret, _, err = calendar.RotateFeed(ctx, h.DB, actor.UserID, actor.UserID)
	case "revoke":
		if err = calendar.RevokeFeed(ctx, h.DB, actor.UserID, actor.UserID); err == nil {
			return redirect(c, tenantPath(t.Slug, "/calendar?done=revoked"))
		}
	default:
		err = fault.InvalidField("action", "choose to make, rotate or revoke the feed")
	}
	if err != nil {
		fe := fault.As(err)
		switch fe.Kind {
		case fault.KindConflict, fault.KindForbidden, fault.KindNotFound, fault.KindInvalid:
			f.Message = sentence(fe.Message)
			if len(fe.Fields) > 0 {
				f.Message = sentence(fe.Fields[0].Message)
			}
			return h.calRenderFeed(c, fiber.StatusUnprocessableEntity, f, "")
		}
		return err
	}
	// Not a redirect: the secret must not go into a URL the browser keeps in
	// its history, and it is never shown again.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.calRenderFeed(c, fiber.StatusOK, f, secret)
}

// calendarICS serves a feed to a calendar app. The tenant comes from the URL
// (wall 1); a wrong, revoked or malformed secret, an unknown or inactive
// practice, are all the same 404.
func (h *handler) calendarICS(c *fiber.Ctx) error {
	t, err := h.Directory.Resolve(httpx.Context(c), c.Params("tenant"))
	if err != nil {
		if errors.Is(err, tenants.ErrUnknown) {
			return fault.NotFound
		}
		return err
	}
	if t.Status != tenants.StatusActive {
		return fault.NotFound
	}
	ctx := tenants.WithTenant(httpx.Context(c), t)
	body, err := calendar.Feed(ctx, h.DB, c.Params("token"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="tuhono.ics"`)
	return c.Send(body)
}
