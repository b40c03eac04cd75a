package web

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

var (
	staffUpdate = httpx.Perm{Object: "staff", Action: "update"}
	auditRead   = httpx.Perm{Object: "audit", Action: "read"}
)

// practicePages: practice administration inside a tenant (this file) and the
// region's onboarding overview (overview.go).
var practicePages = []page{
	{"GET", "/t/:tenant/practice", member, tenantSettings, (*handler).practice, false},
	{"POST", "/t/:tenant/practice", member, tenantSettings, (*handler).savePractice, false},
	{"GET", "/t/:tenant/staff/:user/roles", member, staffUpdate, (*handler).rolesForm, false},
	{"POST", "/t/:tenant/staff/:user/roles", member, staffUpdate, (*handler).changeRoles, false},
	{"GET", "/t/:tenant/activity", member, auditRead, (*handler).activity, false},

	{"GET", "/regions/:region/overview", regional, tenantRead, (*handler).overview, false},
	{"POST", "/regions/:region/overview/:practice/go-live", regional, tenantUpdate, (*handler).goLive, false},
}

// The pages of this file and overview.go, added to the page templates.
const (
	pagePractice      = "practice.html"
	pagePracticeRoles = "practice_roles.html"
	pageActivity      = "activity.html"
	pageOverview      = "overview.html"
)

func init() {
	pageFiles = append(pageFiles, pagePractice, pagePracticeRoles, pageActivity, pageOverview)
}

// Notices of these pages, chosen by a fixed key as notice does.
var practiceNotices = map[string]string{
	"practice": "The practice settings are saved.",
	"roles":    "The roles are changed. They apply from the person’s next page.",
	"live":     "The practice is live.",
}

func practiceNotice(c *fiber.Ctx) string { return practiceNotices[c.Query("done")] }

// --- Practice settings: opening hours, rooms, reminders ---

var weekdayLabels = map[string]string{"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
	"fri": "Friday", "sat": "Saturday", "sun": "Sunday"}

type practicePage struct {
	layout
	Notice   string
	Form     *form
	SaveURL  string
	TimeZone string
	Days     []dayView
	Rooms    string
	RoomsErr string
	Reminder inputView
	SMS      bool
	Email    bool
}

type dayView struct {
	Key, Label  string
	Open, Close inputView
	Error       string
}

func (h *handler) renderPractice(c *fiber.Ctx, status int, f *form, sms, email bool) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	p := practicePage{
		layout:   h.tenantPage(c, "Practice settings", "/practice"),
		Notice:   practiceNotice(c),
		Form:     f,
		SaveURL:  tenantPath(t.Slug, "/practice"),
		TimeZone: t.TimeZone,
		Rooms:    f.Values["rooms"],
		SMS:      sms,
		Email:    email,
	}
	for _, d := range onboarding.Weekdays {
		p.Days = append(p.Days, dayView{Key: d, Label: weekdayLabels[d],
			Open:  f.Input("hours_"+d, weekdayLabels[d]+" opens", "time", "off"),
			Close: f.Input("hours_"+d+"_close", weekdayLabels[d]+" closes", "time", "off"),
			Error: f.Errors["hours_"+d]})
	}
	f.register("rooms", "Rooms")
	p.RoomsErr = f.Errors["rooms"]
	p.Reminder = f.Input("reminder_hours", "Send appointment reminders this many hours ahead", "number", "off",
		"inputmode=numeric", "min=1", "max=168", "hint=From 1 to 168 hours (a week). A day ahead is usual.")
	return h.render(c, status, pagePractice, p)
}

// practice shows the practice's opening hours, rooms and reminder settings.
func (h *handler) practice(c *fiber.Ctx) error {
	pr, err := onboarding.GetProfile(httpx.Context(c), h.DB)
	if err != nil {
		return err
	}
	f := newForm(c)
	for _, d := range onboarding.Weekdays {
		if hs, ok := pr.OpeningHours[d]; ok {
			f.Set("hours_"+d, hs.Open)
			f.Set("hours_"+d+"_close", hs.Close)
		}
	}
	f.Set("rooms", strings.Join(pr.Rooms, "\n"))
	f.Set("reminder_hours", strconv.Itoa(pr.ReminderHours))
	return h.renderPractice(c, fiber.StatusOK, f, pr.ReminderSMS, pr.ReminderEmail)
}

// savePractice stores them; anything bad comes back with a message and
// changes nothing.
func (h *handler) savePractice(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	pr := onboarding.Profile{OpeningHours: map[string]onboarding.Hours{},
		ReminderSMS: formValue(c, "reminder_sms") == "on", ReminderEmail: formValue(c, "reminder_email") == "on"}
	for _, d := range onboarding.Weekdays {
		open := strings.TrimSpace(formValue(c, "hours_"+d))
		closing := strings.TrimSpace(formValue(c, "hours_"+d+"_close"))
		f.Set("hours_"+d, open)
		f.Set("hours_"+d+"_close", closing)
		switch {
		case open == "" && closing == "": // closed
		case open == "" || closing == "":
			f.Fail("hours_"+d, "enter both the opening and the closing time, or leave both empty for closed")
		default:
			pr.OpeningHours[d] = onboarding.Hours{Open: open, Close: closing}
		}
	}
	rooms := formValue(c, "rooms")
	f.Set("rooms", rooms)
	pr.Rooms = strings.Split(strings.ReplaceAll(rooms, "\r\n", "\n"), "\n")
	n := strings.TrimSpace(formValue(c, "reminder_hours"))
	f.Set("reminder_hours", n)
	var err error
	if pr.ReminderHours, err = strconv.Atoi(n); err != nil {
		f.Fail("reminder_hours", "enter a whole number of hours")
	}
	if !f.Failed() {
		err = onboarding.SaveProfile(ctx, h.DB, actor.UserID, pr)
		if err == nil {
			return redirect(c, tenantPath(t.Slug, "/practice?done=practice"))
		}
		fields := map[string]string{"rooms": "rooms", "reminder_hours": "reminder_hours", "opening_hours": "hours_mon"}
		for _, d := range onboarding.Weekdays {
			fields["hours_"+d] = "hours_" + d
		}
		if !f.Adopt(err, fields) {
			return err
		}
	}
	return h.renderPractice(c, fiber.StatusUnprocessableEntity, f, pr.ReminderSMS, pr.ReminderEmail)
}

// --- Changing a member's roles ---

type rolesPage struct {
	layout
	Notice   string
	Form     *form
	Name     string
	Email    string
	SaveURL  string
	StaffURL string
	Roles    choiceView
}

// member finds a membership of this tenant by the :user parameter.
func (h *handler) memberOf(c *fiber.Ctx) (account.Membership, error) {
	id, err := uuid.Parse(c.Params("user"))
	if err != nil || id == uuid.Nil {
		return account.Membership{}, fault.NotFound
	}
	staff, err := h.Accounts.Staff(httpx.Context(c))
	if err != nil {
		return account.Membership{}, err
	}
	for _, m := range staff {
		if m.UserID == id {
			return m, nil
		}
	}
	return account.Membership{}, fault.NotFound
}

func (h *handler) renderRoles(c *fiber.Ctx, status int, f *form, m account.Membership) error {
	t, _ := tenants.FromContext(httpx.Context(c))
	p := rolesPage{
		layout:   h.tenantPage(c, "Roles of "+m.User.Name, "/staff"),
		Notice:   practiceNotice(c),
		Form:     f,
		Name:     m.User.Name,
		Email:    m.User.Email,
		SaveURL:  tenantPath(t.Slug, "/staff/"+m.UserID.String()+"/roles"),
		StaffURL: tenantPath(t.Slug, "/staff"),
	}
	p.Roles = f.Choices("roles", "Roles", "Every role they have here. The change applies from their next page.",
		account.TenantRoles, f.Lists["roles"])
	return h.render(c, status, pagePracticeRoles, p)
}

// rolesForm shows a member's roles to change.
func (h *handler) rolesForm(c *fiber.Ctx) error {
	m, err := h.memberOf(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	f.SetList("roles", m.Roles)
	return h.renderRoles(c, fiber.StatusOK, f, m)
}

// changeRoles replaces a member's roles.
func (h *handler) changeRoles(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	m, err := h.memberOf(c)
	if err != nil {
		return err
	}
	roles := formValues(c, "roles")
	f := newForm(c)
	f.SetList("roles", roles)
	if err := h.Accounts.ChangeRoles(ctx, actor.UserID, m.UserID, roles); err != nil {
		fe := fault.As(err)
		if f.Adopt(err, map[string]string{"roles": "roles"}) {
			return h.renderRoles(c, fiber.StatusUnprocessableEntity, f, m)
		}
		if fe.Kind == fault.KindConflict {
			f.Message = sentence(fe.Message)
			return h.renderRoles(c, fiber.StatusConflict, f, m)
		}
		return err
	}
	return redirect(c, tenantPath(t.Slug, "/staff/"+m.UserID.String()+"/roles?done=roles"))
}

// --- Activity: the practice's audit events ---

// activityLimit is how many of the newest events the page shows.
const activityLimit = 200

type activityPage struct {
	layout
	Events []eventView
}

type eventView struct {
	When    timeView
	Who     string
	Roles   string
	What    string
	Subject string
	Outcome string
	Changes []changeView
	Other   []changeView // detail that is not a before/after pair
}

type changeView struct{ Name, Before, After string }

// actionLabels are the events as a practice reads them; others show their code.
var actionLabels = map[string]string{
	"membership.create": "Added a member", "membership.roles": "Changed roles", "membership.suspend": "Suspended a member",
	"membership.restore": "Restored a member", "membership.end": "Ended a membership", "tenant.settings": "Changed settings",
	"tenant.profile": "Changed practice settings", "tenant.go_live": "Practice went live", "invitation.create": "Sent an invitation",
	"invitation.accept": "Accepted an invitation", "authz.deny": "Was refused access",
}

// activity lists the practice's newest audit events: who, what, when (in the
// practice's time zone), the outcome, and what changed.
func (h *handler) activity(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	var entries []audit.Entry
	err := h.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		entries, err = audit.List(tx, time.Time{}, activityLimit)
		return err
	})
	if err != nil {
		return err
	}
	ids := map[uuid.UUID]bool{}
	for _, e := range entries {
		ids[e.ActorUserID], ids[e.SubjectUserID] = true, true
	}
	delete(ids, uuid.Nil)
	names, err := h.Accounts.Names(ctx, slices.Collect(maps.Keys(ids)))
	if err != nil {
		return err
	}
	name := func(id uuid.UUID) string {
		if id == uuid.Nil {
			return ""
		}
		if n, ok := names[id]; ok && n != "" {
			return n
		}
		return "Someone no longer on record"
	}
	loc := t.Location()
	p := activityPage{layout: h.tenantPage(c, "Activity", "/activity")}
	for _, e := range entries {
		v := eventView{When: showTime(e.At, loc), Who: name(e.ActorUserID), Roles: strings.Join(roleLabelList(e.ActorRoles), ", "),
			What: e.Action, Subject: name(e.SubjectUserID), Outcome: e.Outcome}
		if v.Who == "" {
			v.Who = "The system"
		}
		if l, ok := actionLabels[e.Action]; ok {
			v.What = l
		}
		for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
			if f, ok := strings.CutPrefix(k, "after."); ok {
				v.Changes = append(v.Changes, changeView{Name: f, Before: e.Detail["before."+f], After: e.Detail[k]})
			} else if _, ok := strings.CutPrefix(k, "before."); ok {
				if _, has := e.Detail["after."+strings.TrimPrefix(k, "before.")]; !has {
					v.Changes = append(v.Changes, changeView{Name: strings.TrimPrefix(k, "before."), Before: e.Detail[k]})
				}
			} else {
				v.Other = append(v.Other, changeView{Name: k, After: e.Detail[k]})
			}
		}
		p.Events = append(p.Events, v)
	}
	return h.render(c, fiber.StatusOK, pageActivity, p)
}
