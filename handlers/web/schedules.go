package web

import (
	"fmt"
	"slices"
	"strings"
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

// Schedule pages: the practice's practitioners with their weekly templates
// and time away, one practitioner's templates past and present, and the
// forms that start a new week or take time out of it.
//
// Who may change whose schedule is the policy's answer alone: a HIP, Health
// Coach or Support Worker holds schedule create in the practice, as a
// practice admin does, so they may change a colleague's week too. Practices
// share rosters that way (one covers another's leave); the audit of each
// template says who made it.

var permScheduleCreate = httpx.Perm{Object: "schedule", Action: "create"}

var schedulePages = []page{
	{"GET", "/t/:tenant/schedules", member, permScheduleRead, (*handler).schedules, false},
	{"GET", "/t/:tenant/schedules/:id", member, permScheduleRead, (*handler).schedulePractitioner, false},
	{"POST", "/t/:tenant/schedules/:id/templates", member, permScheduleCreate, (*handler).saveScheduleTemplate, false},
	{"POST", "/t/:tenant/schedules/:id/exceptions", member, permScheduleCreate, (*handler).addScheduleException, false},
}

const (
	pageSchedules      = "schedules.html"
	pageSchedulePerson = "schedules_practitioner.html"
)

func init() { pageFiles = append(pageFiles, pageSchedules, pageSchedulePerson) }

var scheduleNotices = map[string]string{
	"template":  "The new weekly schedule is saved. Days before it keep the schedule they had.",
	"exception": "The time away is recorded. Open time in it is no longer offered.",
}

var (
	schKindLabels = map[schedule.Kind]string{schedule.KindOpen: "Open (same day)", schedule.KindBooked: "Booked ahead",
		schedule.KindGroup: "Group", schedule.KindAdmin: "Admin"}
	schKinds       = []schedule.Kind{schedule.KindOpen, schedule.KindBooked, schedule.KindGroup, schedule.KindAdmin}
	schReasons     = []schedule.Reason{schedule.ReasonLeave, schedule.ReasonTraining, schedule.ReasonSick, schedule.ReasonOther}
	schReasonLabel = map[schedule.Reason]string{schedule.ReasonLeave: "Leave", schedule.ReasonTraining: "Training",
		schedule.ReasonSick: "Sick", schedule.ReasonOther: "Other"}
	schDayNames = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// schRowsPerDay is how many empty rows a weekday offers beyond its blocks:
// enough for a split day (open morning, admin, booked afternoon).
const schRowsPerDay = 3

// schSummary is a template at a glance.
type schSummary struct {
	From, To     string
	Days, Hours  string
	Open, Booked string // hours a week
	Other        string // group and admin hours a week
	State        string // Current, Past or Starts later
}

type schPractitionerRow struct {
	Name, Roles, URL string
	Current          *schSummary
	Away             []schAwayView
}

type schAwayView struct{ Reason, From, To string }

type schedulesPage struct {
	layout
	Rows []schPractitionerRow
}

// schedules lists the practice's practitioners with their running week and
// the time away still to come.
func (h *handler) schedules(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	people, err := h.calPractitioners(c)
	if err != nil {
		return err
	}
	today := calendar.Today(loc)
	pg := schedulesPage{layout: h.tenantPage(c, "Schedules", "/schedules")}
	for _, m := range people {
		row := schPractitionerRow{Name: m.User.Name, Roles: strings.Join(roleLabelList(m.Roles), ", "),
			URL: tenantPath(t.Slug, "/schedules/"+m.UserID.String())}
		ts, err := schedule.Templates(ctx, h.DB, m.UserID)
		if err != nil {
			return err
		}
		if cur, ok := schCurrent(ts, today); ok {
			s := schSummarise(cur, today)
			row.Current = &s
		}
		away, err := schedule.Upcoming(ctx, h.DB, m.UserID, time.Now())
		if err != nil {
			return err
		}
		for _, e := range away {
			row.Away = append(row.Away, schAway(e, loc))
		}
		pg.Rows = append(pg.Rows, row)
	}
	return h.render(c, fiber.StatusOK, pageSchedules, pg)
}

// schCurrent is the template running on the civil date.
func schCurrent(ts []schedule.Template, date time.Time) (schedule.Template, bool) {
	for _, t := range ts {
		if t.Covers(date) {
			return t, true
		}
	}
	return schedule.Template{}, false
}

func schSummarise(t schedule.Template, today time.Time) schSummary {
	s := schSummary{From: t.EffectiveFrom.Format("2 Jan 2006"), To: "until further notice", State: "Current"}
	if !t.EffectiveTo.IsZero() {
		// EffectiveTo is the first day without it: the last day is the one before.
		s.To = "to " + t.EffectiveTo.AddDate(0, 0, -1).Format("2 Jan 2006")
	}
	switch {
	case today.Before(t.EffectiveFrom):
		s.State = "Starts later"
	case !t.Covers(today):
		s.State = "Past"
	}
	var days []string
	minutes := map[schedule.Kind]int{}
	first, last := schedule.DayEnds, schedule.DayStarts
	for _, b := range t.Blocks {
		if d := schDayNames[b.Weekday][:3]; !slices.Contains(days, d) {
			days = append(days, d)
		}
		minutes[b.Kind] += int(b.Ends - b.Starts)
		first, last = min(first, b.Starts), max(last, b.Ends)
	}
	s.Days = strings.Join(days, ", ")
	if len(t.Blocks) > 0 {
		s.Hours = schClock(first) + " to " + schClock(last)
	}
	s.Open, s.Booked = schHours(minutes[schedule.KindOpen]), schHours(minutes[schedule.KindBooked])
	s.Other = schHours(minutes[schedule.KindGroup] + minutes[schedule.KindAdmin])
	return s
}

// schClock shows a wall-clock time as the other pages do (9:30 am).
func schClock(c schedule.Clock) string {
	return time.Date(2000, 1, 1, int(c)/60, int(c)%60, 0, 0, time.UTC).Format("3:04 pm")
}

func schHours(minutes int) string {
	if minutes%60 == 0 {
		return fmt.Sprintf("%d h", minutes/60)
	}
	return fmt.Sprintf("%d h %d min", minutes/60, minutes%60)
}

func schAway(e schedule.Exception, loc *time.Location) schAwayView {
	const layout = "Mon 2 Jan 2006, 3:04 pm"
	return schAwayView{Reason: schReasonLabel[e.Reason], From: e.StartsAt.In(loc).Format(layout), To: e.EndsAt.In(loc).Format(layout)}
}

// --- One practitioner ---

type schPersonPage struct {
	layout
	Notice       string
	Name, Roles  string
	Templates    []schSummary
	Away         []schAwayView
	CanChange    bool
	TemplateURL  string
	ExceptionURL string
	Week         *form
	From         inputView
	Days         []schDayView
	Kinds        []option
	Exception    *form
	Reasons      []option
	ExFromDate   inputView
	ExFromTime   inputView
	ExToDate     inputView
	ExToTime     inputView
}

type schDayView struct {
	Name string
	Rows []schRowView
}

// schRowView is one row of the week form: a block of a weekday.
type schRowView struct {
	ID, Name, Label string
	Start, End      string
	Kind            string
	Error           string
}

// schPerson finds the practitioner of :id among the practice's active HIPs,
// Health Coaches and Support Workers; anyone else is not found here.
func (h *handler) schPerson(c *fiber.Ctx) (account.Membership, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return account.Membership{}, fault.NotFound
	}
	people, err := h.calPractitioners(c)
	if err != nil {
		return account.Membership{}, err
	}
	for _, m := range people {
		if m.UserID == id {
			return m, nil
		}
	}
	return account.Membership{}, fault.New(fault.KindNotFound, "practitioner not found", nil)
}

func (h *handler) schedulePractitioner(c *fiber.Ctx) error {
	return h.renderSchedulePerson(c, fiber.StatusOK, nil, nil)
}

// renderSchedulePerson shows the page; week and exception are the forms as
// sent when one came back with messages (nil: fresh forms).
func (h *handler) renderSchedulePerson(c *fiber.Ctx, status int, week, exception *form) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	m, err := h.schPerson(c)
	if err != nil {
		return err
	}
	ts, err := schedule.Templates(ctx, h.DB, m.UserID)
	if err != nil {
		return err
	}
	away, err := schedule.Upcoming(ctx, h.DB, m.UserID, time.Now())
	if err != nil {
		return err
	}
	today := calendar.Today(loc)
	base := tenantPath(t.Slug, "/schedules/"+m.UserID.String())
	pg := schPersonPage{layout: h.tenantPage(c, "Schedule: "+m.User.Name, "/schedules/"+m.UserID.String()),
		Notice: scheduleNotices[c.Query("done")], Name: m.User.Name, Roles: strings.Join(roleLabelList(m.Roles), ", "),
		CanChange: h.can(ctx, permScheduleCreate), TemplateURL: base + "/templates", ExceptionURL: base + "/exceptions"}
	for i := len(ts) - 1; i >= 0; i-- { // newest first
		pg.Templates = append(pg.Templates, schSummarise(ts[i], today))
	}
	for _, e := range away {
		pg.Away = append(pg.Away, schAway(e, loc))
	}
	if week == nil {
		week = schPrefill(c, ts, today)
	}
	pg.Week, pg.From = week, week.Input("effective_from", "First day", "date", "off",
		"hint=The new week runs from this day until further notice. A schedule running then ends the day before.")
	pg.Days = schDays(week)
	for _, k := range schKinds {
		pg.Kinds = append(pg.Kinds, option{Value: string(k), Label: schKindLabels[k]})
	}
	if exception == nil {
		exception = newForm(c)
		exception.Set("reason", string(schedule.ReasonLeave))
	}
	pg.Exception = exception
	for _, r := range schReasons {
		pg.Reasons = append(pg.Reasons, option{ID: fieldID("reason-" + string(r)), Value: string(r), Label: schReasonLabel[r],
			Checked: exception.Values["reason"] == string(r)})
	}
	exception.register("reason", "Why")
	pg.ExFromDate = exception.Input("from_date", "From", "date", "off")
	pg.ExFromTime = exception.Input("from_time", "From time", "time", "off", "hint=Leave empty for the whole day.")
	pg.ExToDate = exception.Input("to_date", "To", "date", "off", "hint=Leave empty for the same day.")
	pg.ExToTime = exception.Input("to_time", "To time", "time", "off", "hint=Leave empty for the end of the day.")
	return h.render(c, status, pageSchedulePerson, pg)
}

// schRowName names a row's fields: d1r0 is Monday's first row.
func schRowName(weekday, row int) string { return fmt.Sprintf("d%dr%d", weekday, row) }

// schPrefill starts the week form from the template running today (or the
// latest one), from tomorrow.
func schPrefill(c *fiber.Ctx, ts []schedule.Template, today time.Time) *form {
	f := newForm(c)
	f.Set("effective_from", today.AddDate(0, 0, 1).Format(time.DateOnly))
	cur, ok := schCurrent(ts, today)
	if !ok && len(ts) > 0 {
		cur, ok = ts[len(ts)-1], true
	}
	if !ok {
		return f
	}
	next := map[int]int{}
	for _, b := range cur.Blocks {
		name := schRowName(b.Weekday, next[b.Weekday])
		next[b.Weekday]++
		f.Set(name+"_start", b.Starts.String())
		f.Set(name+"_end", b.Ends.String())
		f.Set(name+"_kind", string(b.Kind))
	}
	return f
}

// schRowCount is how many rows a weekday shows: its filled rows and one
// more, and never fewer than schRowsPerDay.
func schRowCount(f *form, weekday int) int {
	filled := 0
	for i := 0; i <= schedule.MaxBlocks; i++ {
		name := schRowName(weekday, i)
		if f.Values[name+"_start"] != "" || f.Values[name+"_end"] != "" || f.Errors[name] != "" {
			filled = i + 1
		}
	}
	return max(schRowsPerDay, filled+1)
}

func schDays(f *form) []schDayView {
	var out []schDayView
	for wd := 1; wd <= 7; wd++ {
		d := schDayView{Name: schDayNames[wd]}
		for i := 0; i < schRowCount(f, wd); i++ {
			name := schRowName(wd, i)
			label := fmt.Sprintf("%s, block %d", schDayNames[wd], i+1)
			f.register(name, label)
			kind := f.Values[name+"_kind"]
			if kind == "" {
				kind = string(schedule.KindOpen)
			}
			d.Rows = append(d.Rows, schRowView{ID: fieldID(name), Name: name, Label: label, Start: f.Values[name+"_start"],
				End: f.Values[name+"_end"], Kind: kind, Error: f.Errors[name]})
		}
		out = append(out, d)
	}
	return out
}

// saveScheduleTemplate reads the week form: a row with neither start nor end
// is left out; anything unreadable or refused comes back with its message
// beside its row, and nothing is saved.
func (h *handler) saveScheduleTemplate(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	m, err := h.schPerson(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	n := schedule.NewTemplate{PractitionerID: m.UserID}
	from := formValue(c, "effective_from")
	f.Set("effective_from", from)
	if d, err := time.Parse(time.DateOnly, from); err == nil {
		n.EffectiveFrom = d
	} else {
		f.Fail("effective_from", "enter the first day as a date")
	}
	fields := map[string]string{"effective_from": "effective_from"}
	for wd := 1; wd <= 7; wd++ {
		for i := 0; i <= schedule.MaxBlocks; i++ {
			name := schRowName(wd, i)
			start, end, kind := formValue(c, name+"_start"), formValue(c, name+"_end"), formValue(c, name+"_kind")
			if start == "" && end == "" {
				continue // an empty row, or past the rows the form had
			}
			f.Set(name+"_start", start)
			f.Set(name+"_end", end)
			f.Set(name+"_kind", kind)
			b, ok := schParseBlock(wd, start, end, kind)
			if !ok {
				f.Fail(name, "enter a start and an end as hours and minutes, such as 09:00 and 12:30")
				continue
			}
			fields[fmt.Sprintf("blocks[%d]", len(n.Blocks))] = name
			n.Blocks = append(n.Blocks, b)
		}
	}
	if f.Failed() {
		// Unreadable rows are left out: the model's messages for the rest
		// come back too, so one round trip shows every problem.
		err = n.Validate()
	} else if _, err = schedule.SaveTemplate(ctx, h.DB, actor.UserID, n); err == nil {
		return redirect(c, tenantPath(t.Slug, "/schedules/"+m.UserID.String())+"?done=template")
	}
	if err != nil && !schAdopt(f, err, fields) {
		return err
	}
	return h.renderSchedulePerson(c, schStatus(f, err), f, nil)
}

func schParseBlock(weekday int, start, end, kind string) (schedule.Block, bool) {
	s, err1 := schedule.ParseClock(start)
	e, err2 := schedule.ParseClock(end)
	if err1 != nil || err2 != nil {
		return schedule.Block{}, false
	}
	return schedule.Block{Weekday: weekday, Starts: s, Ends: e, Kind: schedule.Kind(kind)}, true
}

// schAdopt puts a refused save's messages on the form: invalid input beside
// its fields, a conflict (another template already covers those dates) about
// the whole form. Anything else is not the person's to fix.
func schAdopt(f *form, err error, fields map[string]string) bool {
	if f.Adopt(err, fields) {
		return true
	}
	if fe := fault.As(err); fe.Kind == fault.KindConflict {
		f.Message = sentence(fe.Message)
		return true
	}
	return false
}

// schStatus is 409 for a conflict, else 422: the form came back to be fixed.
func schStatus(f *form, err error) int {
	if err != nil && fault.As(err).Kind == fault.KindConflict {
		return fiber.StatusConflict
	}
	return fiber.StatusUnprocessableEntity
}

// addScheduleException reads dates and times in the practice's zone: an empty
// start time is the start of the day, an empty end the end of the last day.
func (h *handler) addScheduleException(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	m, err := h.schPerson(c)
	if err != nil {
		return err
	}
	loc := t.Location()
	f := newForm(c)
	for _, k := range []string{"reason", "from_date", "from_time", "to_date", "to_time"} {
		f.Set(k, formValue(c, k))
	}
	n := schedule.NewException{PractitionerID: m.UserID, Reason: schedule.Reason(f.Values["reason"])}
	fromDate, toDate := f.Values["from_date"], f.Values["to_date"]
	if toDate == "" {
		toDate = fromDate
	}
	var ok bool
	if n.StartsAt, ok = schWallTime(fromDate, f.Values["from_time"], false, loc); !ok {
		f.Fail("from_date", "enter the first day as a date, and a time as hours and minutes if not the whole day")
	}
	if n.EndsAt, ok = schWallTime(toDate, f.Values["to_time"], true, loc); !ok {
		f.Fail("to_date", "enter the last day as a date, and a time as hours and minutes if not the whole day")
	}
	if f.Failed() {
		err = n.Validate() // the reason's message too, when the dates failed
	} else if _, err = schedule.AddException(ctx, h.DB, actor.UserID, n); err == nil {
		return redirect(c, tenantPath(t.Slug, "/schedules/"+m.UserID.String())+"?done=exception")
	}
	if err != nil && !f.Adopt(err, map[string]string{"reason": "reason", "starts_at": "from_date", "ends_at": "to_date"}) {
		return err
	}
	return h.renderSchedulePerson(c, fiber.StatusUnprocessableEntity, nil, f)
}

// schWallTime is the instant a date and time read in loc; with no time, the
// start of the day, or with end the start of the next day (the day is included).
func schWallTime(date, clock string, end bool, loc *time.Location) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, false
	}
	if clock == "" {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UTC(), true
	}
	c, err := schedule.ParseClock(clock)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), int(c)/60, int(c)%60, 0, 0, loc).UTC(), true
}
