package web

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/referral"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permPatientRead       = httpx.Perm{Object: "patient", Action: "read"}
	permPatientCreate     = httpx.Perm{Object: "patient", Action: "create"}
	permPatientUpdate     = httpx.Perm{Object: "patient", Action: "update"}
	permAppointmentRead   = httpx.Perm{Object: "appointment", Action: "read"}
	permAppointmentCreate = httpx.Perm{Object: "appointment", Action: "create"}
	permReferralCreate    = httpx.Perm{Object: "referral", Action: "create"}
)

// patientPages: finding and registering people, a person's record and
// timeline, and booking them (this file and patient_book.go).
var patientPages = []page{
	{"GET", "/t/:tenant/patients", member, permPatientRead, (*handler).patientList, false},
	{"POST", "/t/:tenant/patients", member, permPatientCreate, (*handler).patientRegister, false},
	{"GET", "/t/:tenant/patients/:id", member, permPatientRead, (*handler).patientShow, false},
	{"POST", "/t/:tenant/patients/:id", member, permPatientUpdate, (*handler).patientSave, false},
	{"GET", "/t/:tenant/patients/:id/book", member, permAppointmentCreate, (*handler).patientBookForm, false},
	{"POST", "/t/:tenant/patients/:id/book", member, permAppointmentCreate, (*handler).patientHold, false},
	{"POST", "/t/:tenant/patients/:id/book/confirm", member, permAppointmentCreate, (*handler).patientConfirm, false},
}

// One template serves the list with its register form and a person's
// record with its edit form, so the fields are written once.
const (
	pagePatients    = "patients.html"
	pagePatientBook = "patient_book.html"
)

func init() { pageFiles = append(pageFiles, pagePatients, pagePatientBook) }

// The purposes of access the patient routes imply; patient.Get and
// patient.Search record them with every read (HIPC rule 5; DOMAIN.md: audit).
const (
	ptReasonSearch = "find a person to see or book"
	ptReasonView   = "view the person's record and appointments"
	ptReasonBook   = "book an appointment for the person"
)

var ptNotices = map[string]string{
	"registered": "The person is registered.",
	"saved":      "The changes are saved.",
	"booked":     "The appointment is booked.",
}

// ptFields are the service's field names, which the form uses too.
var ptFields = func() map[string]string {
	m := map[string]string{}
	for _, f := range []string{"nhi", "family_name", "given_names", "preferred_name", "date_of_birth", "gender",
		"ethnicity", "iwi", "nzdep_quintile", "enrolment_status", "enrolled_on", "phone", "email", "sms_consent",
		"email_consent", "support_contact"} {
		m[f] = f
	}
	return m
}()

// ptEthnicityCodes are the HISO 10001 level-2 codes offered, in the
// standard's order.
var ptEthnicityCodes = []string{"11", "12", "10", "21", "31", "32", "33", "34", "35", "36", "37", "30",
	"42", "43", "41", "44", "40", "51", "52", "53", "61", "94", "95", "99"}

var ptGenderLabels = map[string]string{"female": "Female", "male": "Male", "another": "Another gender", "unknown": "Not stated"}

var ptEnrolmentLabels = map[string]string{"enrolled": "Enrolled here", "casual": "Casual (not enrolled)",
	"not_enrolled": "Not enrolled", "unknown": "Not known"}

// ptSelect is selectField for a list of values and a way to name them.
func ptSelect(f *form, name, label, hint string, values []string, labels func(string) string) selectView {
	opts := make([]option, len(values))
	for i, val := range values {
		opts[i] = option{Value: val, Label: labels(val)}
	}
	return selectField(f, name, label, hint, opts)
}

// ptFieldsView is the register and edit form's fields.
type ptFieldsView struct {
	NHI, Family, Given, Preferred, DOB, Iwi, EnrolledOn, Phone, Email, Support inputView
	Gender, NZDep, Enrolment                                                   selectView
	Ethnicity                                                                  []selectView
	SMSConsent, EmailConsent                                                   bool
	ConsentError                                                               string
}

func ptBuildFields(f *form) ptFieldsView {
	p := ptFieldsView{
		NHI: f.Input("nhi", "NHI number (optional)", "text", "off", "nospell",
			"hint=Seven characters, like ZZZ0016 or ZZZ00AC."),
		Family:    f.Input("family_name", "Family name", "text", "off"),
		Given:     f.Input("given_names", "Given names", "text", "off"),
		Preferred: f.Input("preferred_name", "Preferred name (optional)", "text", "off", "hint=What the person likes to be called."),
		DOB:       f.Input("date_of_birth", "Date of birth", "date", "off"),
	}
	p.Gender = ptSelect(f, "gender", "Gender", "", patient.Genders, func(v string) string { return ptGenderLabels[v] })
	p.Ethnicity = ptEthnicitySelects(f)
	p.Iwi = f.Input("iwi", "Iwi (optional)", "text", "off")
	p.NZDep = ptSelect(f, "nzdep_quintile", "NZDep quintile", "5 is the most deprived fifth of areas (NZDep2023).",
		[]string{"0", "1", "2", "3", "4", "5"}, func(v string) string {
			if v == "0" {
				return "Not known"
			}
			return v
		})
	p.Enrolment = ptSelect(f, "enrolment_status", "Enrolment at this practice", "", patient.EnrolmentStatuses,
		func(v string) string { return ptEnrolmentLabels[v] })
	p.EnrolledOn = f.Input("enrolled_on", "Enrolled on (optional)", "date", "off")
	p.Phone = f.Input("phone", "Mobile or phone (optional)", "tel", "off", "inputmode=tel", "hint=Like 021 123 4567.")
	p.Email = f.Input("email", "E-mail (optional)", "email", "off")
	f.register("sms_consent", "Text message consent")
	f.register("email_consent", "E-mail consent")
	p.SMSConsent, p.EmailConsent = f.Values["sms_consent"] == "on", f.Values["email_consent"] == "on"
	p.ConsentError = f.Errors["sms_consent"]
	if p.ConsentError == "" {
		p.ConsentError = f.Errors["email_consent"]
	}
	p.Support = f.Input("support_contact", "Whānau or support contact (optional)", "text", "off",
		"hint=Name and how to reach them, if the person wants them involved.")
	return p
}

// ptEthnicitySelects are the six ethnicity choices HISO 10001 allows; a
// level-4 code already on the record is kept as an option of its own.
func ptEthnicitySelects(f *form) []selectView {
	chosen := f.Lists["ethnicity"]
	out := make([]selectView, patient.MaxEthnicities)
	for i := range out {
		name := "ethnicity"
		id := fieldID(name)
		label := "Ethnicity"
		if i > 0 {
			id = fieldID(name + "-" + strconv.Itoa(i+1))
			label = "Ethnicity " + strconv.Itoa(i+1) + " (optional)"
		} else {
			f.register(name, "Ethnicity")
		}
		cur := ""
		if i < len(chosen) {
			cur = chosen[i]
		}
		v := selectView{ID: id, Name: name, Label: label, Options: []option{{ID: id + "-none", Value: "", Label: "—", Checked: cur == ""}}}
		if i == 0 {
			v.Hint = "As the person identifies: up to six."
			v.Error = f.Errors[name]
		}
		codes := ptEthnicityCodes
		if cur != "" && !slices.Contains(codes, cur) {
			codes = append([]string{cur}, codes...)
		}
		for _, c := range codes {
			n, _ := patient.EthnicityName(c)
			if len(c) > 2 {
				n += " (" + c + ")"
			}
			v.Options = append(v.Options, option{ID: id + "-" + c, Value: c, Label: n, Checked: c == cur})
		}
		out[i] = v
	}
	return out
}

// ptReadForm reads the register or edit form into the form (to show
// again) and a NewPatient; a date that does not parse is a message now.
func ptReadForm(c *fiber.Ctx, f *form) patient.NewPatient {
	for _, name := range []string{"nhi", "family_name", "given_names", "preferred_name", "date_of_birth", "gender",
		"iwi", "nzdep_quintile", "enrolment_status", "enrolled_on", "phone", "email", "sms_consent", "email_consent",
		"support_contact"} {
		f.Set(name, strings.TrimSpace(formValue(c, name)))
	}
	var eth []string
	for _, v := range c.Request().PostArgs().PeekMulti("ethnicity") {
		if s := strings.TrimSpace(string(v)); s != "" {
			eth = append(eth, s)
		}
	}
	f.SetList("ethnicity", eth)
	n := patient.NewPatient{NHI: f.Values["nhi"], FamilyName: f.Values["family_name"], GivenNames: f.Values["given_names"],
		PreferredName: f.Values["preferred_name"], Gender: f.Values["gender"], Ethnicity: eth, Iwi: f.Values["iwi"],
		EnrolmentStatus: f.Values["enrolment_status"], Phone: f.Values["phone"], Email: f.Values["email"],
		SMSConsent: f.Values["sms_consent"] == "on", EmailConsent: f.Values["email_consent"] == "on",
		SupportContact: f.Values["support_contact"]}
	if s := f.Values["date_of_birth"]; s != "" {
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			n.DateOfBirth = d
		} else {
			f.Fail("date_of_birth", "enter a date like 1990-05-01")
		}
	}
	if s := f.Values["enrolled_on"]; s != "" {
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			n.EnrolledOn = d
		} else {
			f.Fail("enrolled_on", "enter a date like 2024-07-01")
		}
	}
	if s := f.Values["nzdep_quintile"]; s != "" {
		q, err := strconv.Atoi(s)
		if err != nil {
			f.Fail("nzdep_quintile", "choose 1 to 5, or not known")
		}
		n.NZDepQuintile = q
	}
	return n
}

// ptFillForm shows a stored record in the edit form.
func ptFillForm(f *form, p patient.Patient) {
	f.Set("nhi", p.NHI)
	f.Set("family_name", p.FamilyName)
	f.Set("given_names", p.GivenNames)
	f.Set("preferred_name", p.PreferredName)
	f.Set("date_of_birth", ptDate(p.DateOfBirth))
	f.Set("gender", p.Gender)
	f.SetList("ethnicity", p.Ethnicity)
	f.Set("iwi", p.Iwi)
	f.Set("nzdep_quintile", strconv.Itoa(p.NZDepQuintile))
	f.Set("enrolment_status", p.EnrolmentStatus)
	f.Set("enrolled_on", ptDate(p.EnrolledOn))
	f.Set("phone", p.Phone)
	f.Set("email", p.Email)
	f.Set("support_contact", p.SupportContact)
	if p.SMSConsent {
		f.Set("sms_consent", "on")
	}
	if p.EmailConsent {
		f.Set("email_consent", "on")
	}
}

func ptDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// ptName is how a page names a person: the name they go by, then the
// family name.
func ptName(p patient.Patient) string {
	first := p.PreferredName
	if first == "" {
		first = p.GivenNames
	}
	if first == "" {
		return p.FamilyName
	}
	return first + " " + p.FamilyName
}

// ptPage is the list with its register form, or one person's record
// with its edit form: one template, so the fields are written once.
type ptPage struct {
	layout
	Notice string
	Form   *form
	Fields ptFieldsView

	// The list.
	Query       string
	Searched    bool
	SearchError string
	Results     []ptRow
	CanRegister bool
	Duplicates  []ptDuplicateView
	RegisterURL string
	SearchURL   string

	// One person.
	Person   *ptView
	CanEdit  bool
	CanBook  bool
	CanRefer bool
	// The person's record (HIPC rules 6 and 7): exports, who has seen it,
	// corrections; each shown only to those whose roles allow it.
	RecordURL                           string
	CanExport, CanSeeAccess, CanCorrect bool
	SaveURL                             string
	Timeline                            []ptTimelineRow
	IntroduceURL, ReferURL, BookURL     string
	Clinical                            *ptNotesView // notes and measure trends: measure.go
}

type ptRow struct {
	Name, NHI, Born, URL string
}

type ptDuplicateView struct{ URL, Match string }

type ptView struct {
	Name, FullName, NHI, Born, Gender, Ethnicity, EthnicGroup, Iwi, NZDep, Enrolment string
	Phone, Email, Contact, Support                                                   string
}

type ptTimelineRow struct {
	URL, When, Practitioner, Line, Mode, Status, Visit string
	ISO                                                string
	Group                                              bool
	Referral                                           bool // a Support Worker referral: Mode holds its needs
}

// ptReferralRow is a Support Worker referral on the timeline: when referred,
// the worker who took it, its needs, status and the day first contact is due.
func ptReferralRow(slug string, loc *time.Location, names map[uuid.UUID]string, it calendar.Item) ptTimelineRow {
	needs := make([]string, len(it.Needs))
	for i, n := range it.Needs {
		needs[i] = n.Label()
	}
	row := ptTimelineRow{URL: tenantPath(slug, "/referrals/"+it.ID.String()), Referral: true,
		When: it.StartsAt.In(loc).Format("Mon 2 Jan 2006, 3:04 pm"), ISO: it.StartsAt.Format(time.RFC3339),
		Practitioner: names[it.PractitionerID], Line: "Support Worker referral", Mode: strings.Join(needs, ", "),
		Status: referralStatusLabels[it.ReferralStatus]}
	if it.ReferralStatus == referral.StatusReferred || it.ReferralStatus == referral.StatusAccepted {
		row.Visit = "Contact due by " + it.DueBy.Format("2 Jan")
	}
	return row
}

func (h *handler) ptBase(c *fiber.Ctx, title string, f *form) ptPage {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	return ptPage{
		layout:      h.tenantPage(c, title, "/patients"),
		Notice:      ptNotices[c.Query("done")],
		Form:        f,
		CanRegister: h.can(ctx, permPatientCreate),
		RegisterURL: tenantPath(t.Slug, "/patients"),
		SearchURL:   tenantPath(t.Slug, "/patients"),
	}
}

// patientList searches by name or NHI and offers the register form.
func (h *handler) patientList(c *fiber.Ctx) error {
	f := newForm(c)
	f.Set("gender", "unknown")
	f.Set("enrolment_status", "unknown")
	p := h.ptBase(c, "People", f)
	if err := h.ptSearch(c, &p); err != nil {
		return err
	}
	p.Fields = ptBuildFields(f)
	return h.render(c, fiber.StatusOK, pagePatients, p)
}

// search fills the page's results from ?q=.
func (h *handler) ptSearch(c *fiber.Ctx, p *ptPage) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	p.Query = strings.Clone(c.Query("q"))
	if strings.TrimSpace(p.Query) == "" {
		return nil
	}
	p.Searched = true
	found, err := patient.Search(ctx, h.DB, p.Query, 20, ptReasonSearch)
	if err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindInvalid {
			p.SearchError = sentence(fe.Fields[0].Message)
			return nil
		}
		return err
	}
	for _, x := range found {
		p.Results = append(p.Results, ptRow{Name: x.FamilyName + ", " + strings.TrimSpace(x.GivenNames+
			ptParens(x.PreferredName)), NHI: x.NHI, Born: x.DateOfBirth.Format("2 Jan 2006"),
			URL: tenantPath(t.Slug, "/patients/"+x.ID.String())})
	}
	return nil
}

func ptParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// patientRegister registers a person. Likely duplicates (same name and date
// of birth) are shown first with a "register anyway" confirmation; a second
// registration of one NHI is refused.
func (h *handler) patientRegister(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	n := ptReadForm(c, f)
	status := fiber.StatusUnprocessableEntity
	var dups []patient.Duplicate
	if !f.Failed() {
		var err error
		dups, err = patient.LikelyDuplicates(ctx, h.DB, n)
		switch {
		case err != nil:
			if !f.Adopt(err, ptFields) {
				return err
			}
		case slices.ContainsFunc(dups, func(d patient.Duplicate) bool { return d.Match == patient.MatchNHI }):
			// The same NHI is the same person: no confirmation overrides it.
			f.Fail("nhi", patient.ErrDuplicateNHI.Message)
			status = fiber.StatusConflict
		case len(dups) > 0 && formValue(c, "register_anyway") != "yes":
			f.Message = "This person may already be registered. Check the records below, or register them anyway."
			status = fiber.StatusConflict
		default:
			created, _, err := patient.Create(ctx, h.DB, actor.UserID, n)
			if err == nil {
				return redirect(c, tenantPath(t.Slug, "/patients/"+created.ID.String()+"?done=registered"))
			}
			if fe := fault.As(err); fe.Kind == fault.KindConflict {
				f.Fail("nhi", fe.Message)
				status = fiber.StatusConflict
			} else if !f.Adopt(err, ptFields) {
				return err
			}
		}
	}
	p := h.ptBase(c, "People", f)
	for _, d := range dups {
		match := "Same name and date of birth"
		if d.Match == patient.MatchNHI {
			match = "Same NHI number"
		}
		p.Duplicates = append(p.Duplicates, ptDuplicateView{URL: tenantPath(t.Slug, "/patients/"+d.ID.String()), Match: match})
	}
	p.Fields = ptBuildFields(f)
	return h.render(c, status, pagePatients, p)
}

// patientID reads :id; anything but a uuid is not found.
func ptIDParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil || id == uuid.Nil {
		return uuid.Nil, fault.NotFound
	}
	return id, nil
}

// patientShow is a person's record (read with its purpose, audited), the
// edit form and their timeline.
func (h *handler) patientShow(c *fiber.Ctx) error {
	id, err := ptIDParam(c)
	if err != nil {
		return err
	}
	pt, err := patient.Get(httpx.Context(c), h.DB, id, ptReasonView)
	if err != nil {
		return err
	}
	f := newForm(c)
	ptFillForm(f, pt)
	return h.ptRender(c, fiber.StatusOK, pt, f)
}

// patientSave changes the record; anything wrong comes back with messages
// and changes nothing.
func (h *handler) patientSave(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := ptIDParam(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	n := ptReadForm(c, f)
	status := fiber.StatusUnprocessableEntity
	if !f.Failed() {
		ch := patient.Changes{NHI: &n.NHI, FamilyName: &n.FamilyName, GivenNames: &n.GivenNames,
			PreferredName: &n.PreferredName, DateOfBirth: &n.DateOfBirth, Gender: &n.Gender, Ethnicity: &n.Ethnicity,
			Iwi: &n.Iwi, NZDepQuintile: &n.NZDepQuintile, EnrolmentStatus: &n.EnrolmentStatus, EnrolledOn: &n.EnrolledOn,
			Phone: &n.Phone, Email: &n.Email, SMSConsent: &n.SMSConsent, EmailConsent: &n.EmailConsent,
			SupportContact: &n.SupportContact}
		_, err := patient.Update(ctx, h.DB, actor.UserID, id, ch)
		if err == nil {
			return redirect(c, tenantPath(t.Slug, "/patients/"+id.String()+"?done=saved"))
		}
		if fe := fault.As(err); fe.Kind == fault.KindConflict {
			f.Fail("nhi", fe.Message)
			status = fiber.StatusConflict
		} else if !f.Adopt(err, ptFields) {
			return err
		}
	}
	pt, err := patient.Get(ctx, h.DB, id, ptReasonView)
	if err != nil {
		return err
	}
	return h.ptRender(c, status, pt, f)
}

func (h *handler) ptRender(c *fiber.Ctx, status int, pt patient.Patient, f *form) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	p := h.ptBase(c, ptName(pt), f)
	base := tenantPath(t.Slug, "/patients/"+pt.ID.String())
	p.Person = ptDescribe(pt)
	p.CanEdit = h.can(ctx, permPatientUpdate)
	p.CanBook = h.can(ctx, permAppointmentCreate)
	p.CanRefer = h.can(ctx, permReferralCreate)
	p.SaveURL, p.IntroduceURL, p.ReferURL, p.BookURL = base, base+"/introduce", base+"/refer", base+"/book"
	p.RecordURL = base
	p.CanExport, p.CanSeeAccess, p.CanCorrect = h.can(ctx, recordExport), h.can(ctx, recordAccess), h.can(ctx, recordCorrect)
	p.Fields = ptBuildFields(f)
	items, err := calendar.Timeline(ctx, h.DB, pt.ID)
	if err != nil {
		return err
	}
	names, err := h.calStaffNames(c)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Source == calendar.SourceReferral {
			p.Timeline = append(p.Timeline, ptReferralRow(t.Slug, loc, names, it))
			continue
		}
		row := ptTimelineRow{URL: tenantPath(t.Slug, "/appointments/"+it.ID.String()),
			When: it.StartsAt.In(loc).Format("Mon 2 Jan 2006, 3:04 pm"), ISO: it.StartsAt.Format(time.RFC3339),
			Practitioner: names[it.PractitionerID], Line: calLineLabels[it.ServiceLine], Mode: calModeLabels[it.Mode],
			Status: calStatusLabels[it.Status], Group: it.Group}
		switch {
		case it.Status == booking.StatusCancelled || it.Status == booking.StatusDidNotAttend:
		case it.First:
			row.Visit = "First"
		default:
			row.Visit = "Follow-up"
		}
		p.Timeline = append(p.Timeline, row)
	}
	if p.Clinical, err = h.patientNotes(ctx, t.Slug, loc, pt.ID, names, h.can(ctx, noteRead), h.can(ctx, outcomeRead)); err != nil {
		return err
	}
	return h.render(c, status, pagePatients, p)
}

func ptDescribe(pt patient.Patient) *ptView {
	v := &ptView{Name: ptName(pt), FullName: strings.TrimSpace(pt.GivenNames + " " + pt.FamilyName),
		NHI: pt.NHI, Born: pt.DateOfBirth.Format("2 January 2006"), Gender: ptGenderLabels[pt.Gender], Iwi: pt.Iwi,
		EthnicGroup: ptEthnicGroupLabels[pt.EthnicGroup], Enrolment: ptEnrolmentLabels[pt.EnrolmentStatus],
		Phone: pt.Phone, Email: pt.Email, Support: pt.SupportContact}
	var eth []string
	for _, c := range pt.Ethnicity {
		n, _ := patient.EthnicityName(c)
		eth = append(eth, n)
	}
	v.Ethnicity = strings.Join(eth, ", ")
	if pt.NZDepQuintile > 0 {
		v.NZDep = strconv.Itoa(pt.NZDepQuintile)
	}
	var consent []string
	if pt.SMSConsent {
		consent = append(consent, "text messages")
	}
	if pt.EmailConsent {
		consent = append(consent, "e-mail")
	}
	v.Contact = "No reminders"
	if len(consent) > 0 {
		v.Contact = "Reminders by " + strings.Join(consent, " and ")
	}
	return v
}

var ptEthnicGroupLabels = map[string]string{patient.GroupMaori: "Māori", patient.GroupPacific: "Pacific peoples",
	patient.GroupAsian: "Asian", patient.GroupMELAA: "Middle Eastern, Latin American or African",
	patient.GroupOther: "Other", patient.GroupEuropean: "European", patient.GroupUnknown: "Not stated"}

var calLineLabels = map[booking.ServiceLine]string{booking.LineHIP: "HIP", booking.LineHealthCoach: "Health Coach",
	booking.LineSupportWorker: "Support Worker"}

var calModeLabels = map[booking.Mode]string{booking.ModeInPerson: "In person", booking.ModePhone: "Phone",
	booking.ModeVideo: "Video", booking.ModeCommunity: "Home or community"}

var calStatusLabels = map[booking.Status]string{booking.StatusHeld: "Held", booking.StatusBooked: "Booked",
	booking.StatusArrived: "Arrived", booking.StatusInSession: "In session", booking.StatusCompleted: "Completed",
	booking.StatusDidNotAttend: "Did not attend", booking.StatusCancelled: "Cancelled"}

var calKindLabels = map[booking.Kind]string{booking.KindBooked: "Booked ahead", booking.KindSameDay: "Same day",
	booking.KindGroup: "Group"}

// calStaffNames maps the tenant's members to their names, for the columns and
// lines that show who a practitioner is.
func (h *handler) calStaffNames(c *fiber.Ctx) (map[uuid.UUID]string, error) {
	staff, err := h.Accounts.Staff(httpx.Context(c))
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(staff))
	for _, m := range staff {
		out[m.UserID] = m.User.Name
	}
	return out, nil
}

// practitioners are the tenant's active HIPs, Health Coaches and Support
// Workers, in staff order.
func (h *handler) calPractitioners(c *fiber.Ctx) ([]account.Membership, error) {
	staff, err := h.Accounts.Staff(httpx.Context(c))
	if err != nil {
		return nil, err
	}
	var out []account.Membership
	for _, m := range staff {
		if m.Status == "active" && slices.ContainsFunc(m.Roles, calPractises) {
			out = append(out, m)
		}
	}
	return out, nil
}

func calPractises(r string) bool {
	return r == "hip" || r == "health_coach" || r == "support_worker"
}
