package patient

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm/clause"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Genders, as the enrolment import names them (models/bulk).
var Genders = []string{"female", "male", "another", "unknown"}

// Enrolment statuses at the practice.
var EnrolmentStatuses = []string{"enrolled", "casual", "not_enrolled", "unknown"}

// Limits, in runes.
const (
	maxName    = 100
	maxIwi     = 100
	maxSupport = 500
	// MaxSearch is the most results Search returns.
	MaxSearch = 50
)

// ErrDuplicateNHI is the conflict of a second registration of one NHI.
var ErrDuplicateNHI = fault.New(fault.KindConflict, "a person with this NHI is already registered here", nil)

// Patient is a person a practice sees.
type Patient struct {
	ID              uuid.UUID
	NHI             string // normalised; empty when not known
	FamilyName      string
	GivenNames      string
	PreferredName   string
	DateOfBirth     time.Time // a date: midnight UTC
	Gender          string
	Ethnicity       []string // HISO 10001 level 2 or level 4 codes
	EthnicGroup     string   // prioritised: maori, pacific, asian, melaa, other, european, unknown
	Iwi             string
	NZDepQuintile   int // 1–5; 0 when not known
	EnrolmentStatus string
	EnrolledOn      time.Time // zero when not known
	Phone           string
	Email           string
	SMSConsent      bool
	EmailConsent    bool
	SupportContact  string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// NewPatient is what it takes to register a person.
type NewPatient struct {
	NHI             string // optional
	FamilyName      string
	GivenNames      string // optional: a person with one name has it recorded as the family name
	PreferredName   string
	DateOfBirth     time.Time
	Gender          string // default unknown
	Ethnicity       []string
	Iwi             string
	NZDepQuintile   int    // 0: not known
	EnrolmentStatus string // default unknown
	EnrolledOn      time.Time
	Phone           string
	Email           string
	SMSConsent      bool
	EmailConsent    bool
	SupportContact  string
}

// now is the clock; tests may replace it.
var now = time.Now

var phoneChars = regexp.MustCompile(`^\+?[0-9 ]+$`)

// Validate normalises every field (trim, NFC, NHI upper case, dates to
// midnight UTC) and reports each bad one.
func (n *NewPatient) Validate() error {
	var f fault.Fields
	if n.NHI = strings.TrimSpace(n.NHI); n.NHI != "" {
		if v, err := NormaliseNHI(n.NHI); err != nil {
			f.Add("nhi", "must be a valid NHI number, like ZZZ0016 or ZZZ00AC")
		} else {
			n.NHI = v
		}
	}
	text := func(field string, s *string, min, max int) {
		*s = cleanText(*s)
		if !plainText(*s) {
			f.Add(field, "must be text without control characters")
		} else if l := utf8.RuneCountInString(*s); l < min || l > max {
			if min > 0 {
				f.Add(field, fmt.Sprintf("must be %d–%d characters", min, max))
			} else {
				f.Add(field, fmt.Sprintf("must be at most %d characters", max))
			}
		}
	}
	text("family_name", &n.FamilyName, 1, maxName)
	text("given_names", &n.GivenNames, 0, maxName)
	text("preferred_name", &n.PreferredName, 0, maxName)
	text("iwi", &n.Iwi, 0, maxIwi)
	text("support_contact", &n.SupportContact, 0, maxSupport)

	today := todayNZ()
	n.DateOfBirth = dateOf(n.DateOfBirth)
	switch {
	case n.DateOfBirth.IsZero():
		f.Add("date_of_birth", "is required")
	case n.DateOfBirth.After(today):
		f.Add("date_of_birth", "must not be in the future")
	case n.DateOfBirth.Year() < 1900:
		f.Add("date_of_birth", "must be in 1900 or later")
	}
	if n.Gender = strings.TrimSpace(n.Gender); n.Gender == "" {
		n.Gender = "unknown"
	}
	if !slices.Contains(Genders, n.Gender) {
		f.Add("gender", "must be female, male, another or unknown")
	}
	if codes, err := NormaliseEthnicity(n.Ethnicity); err != nil {
		f.Add("ethnicity", err.Error())
	} else {
		n.Ethnicity = codes
	}
	if n.NZDepQuintile < 0 || n.NZDepQuintile > 5 {
		f.Add("nzdep_quintile", "must be 1–5 (5 most deprived), or not given")
	}
	if n.EnrolmentStatus = strings.TrimSpace(n.EnrolmentStatus); n.EnrolmentStatus == "" {
		n.EnrolmentStatus = "unknown"
	}
	if !slices.Contains(EnrolmentStatuses, n.EnrolmentStatus) {
		f.Add("enrolment_status", "must be enrolled, casual, not_enrolled or unknown")
	}
	n.EnrolledOn = dateOf(n.EnrolledOn)
	if !n.EnrolledOn.IsZero() && (n.EnrolledOn.After(today) || n.EnrolledOn.Year() < 1900) {
		f.Add("enrolled_on", "must be a date from 1900 to today")
	}
	n.Email = strings.TrimSpace(n.Email)
	if n.Email != "" {
		if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email || len(n.Email) > 254 {
			f.Add("email", "must be an e-mail address like kia.ora@example.co.nz")
		}
	}
	n.Phone = strings.Join(strings.Fields(n.Phone), " ")
	if n.Phone != "" {
		digits := 0
		for _, r := range n.Phone {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneChars.MatchString(n.Phone) || digits < 7 || digits > 15 || len(n.Phone) > 32 {
			f.Add("phone", "use digits and spaces (an optional + first): 7 to 15 digits, like 021 123 4567")
		}
	}
	if n.SMSConsent && n.Phone == "" {
		f.Add("sms_consent", "needs a phone number")
	}
	if n.EmailConsent && n.Email == "" {
		f.Add("email_consent", "needs an e-mail address")
	}
	return f.Err()
}

// Duplicate is a patient already registered who may be the same person.
// It carries the id only: showing the record is a read, audited by Get.
type Duplicate struct {
	ID    uuid.UUID
	Match string // "nhi" or "name_and_birth_date"
}

// Match kinds of a Duplicate.
const (
	MatchNHI       = "nhi"
	MatchNameBirth = "name_and_birth_date"
)

// row is the patients table as GORM sees it; it never leaves this package.
type row struct {
	TenantID        uuid.UUID
	ID              uuid.UUID
	NHI             *string `gorm:"column:nhi"`
	FamilyName      string
	GivenNames      string
	PreferredName   string
	NameSearch      string
	DateOfBirth     time.Time
	Gender          string
	Ethnicity       pq.StringArray `gorm:"type:text[]"`
	EthnicGroup     string
	Iwi             string
	NZDepQuintile   *int `gorm:"column:nzdep_quintile"`
	EnrolmentStatus string
	EnrolledOn      *time.Time
	Phone           string
	Email           string
	SMSConsent      bool `gorm:"column:sms_consent"`
	EmailConsent    bool
	SupportContact  string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (row) TableName() string { return "patients" }

func (r row) patient() Patient {
	p := Patient{
		ID: r.ID, FamilyName: r.FamilyName, GivenNames: r.GivenNames, PreferredName: r.PreferredName,
		DateOfBirth: dateOf(r.DateOfBirth), Gender: r.Gender, Ethnicity: append([]string{}, r.Ethnicity...),
		EthnicGroup: r.EthnicGroup, Iwi: r.Iwi, EnrolmentStatus: r.EnrolmentStatus, Phone: r.Phone, Email: r.Email,
		SMSConsent: r.SMSConsent, EmailConsent: r.EmailConsent, SupportContact: r.SupportContact,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.NHI != nil {
		p.NHI = *r.NHI
	}
	if r.NZDepQuintile != nil {
		p.NZDepQuintile = *r.NZDepQuintile
	}
	if r.EnrolledOn != nil {
		p.EnrolledOn = dateOf(*r.EnrolledOn)
	}
	return p
}

// fill sets the row's fields from a validated NewPatient.
func (r *row) fill(n NewPatient) {
	r.NHI = nil
	if n.NHI != "" {
		nhi := n.NHI
		r.NHI = &nhi
	}
	r.FamilyName, r.GivenNames, r.PreferredName = n.FamilyName, n.GivenNames, n.PreferredName
	r.NameSearch = searchName(n.FamilyName, n.GivenNames)
	r.DateOfBirth = n.DateOfBirth
	r.Gender = n.Gender
	r.Ethnicity = pq.StringArray(append([]string{}, n.Ethnicity...))
	r.EthnicGroup = PrioritisedGroup(n.Ethnicity)
	r.Iwi = n.Iwi
	r.NZDepQuintile = nil
	if n.NZDepQuintile != 0 {
		q := n.NZDepQuintile
		r.NZDepQuintile = &q
	}
	r.EnrolmentStatus = n.EnrolmentStatus
	r.EnrolledOn = nil
	if !n.EnrolledOn.IsZero() {
		d := n.EnrolledOn
		r.EnrolledOn = &d
	}
	r.Phone, r.Email, r.SMSConsent, r.EmailConsent = n.Phone, n.Email, n.SMSConsent, n.EmailConsent
	r.SupportContact = n.SupportContact
}

// newPatient is the editable part of a stored row.
func (r row) newPatient() NewPatient {
	p := r.patient()
	return NewPatient{
		NHI: p.NHI, FamilyName: p.FamilyName, GivenNames: p.GivenNames, PreferredName: p.PreferredName,
		DateOfBirth: p.DateOfBirth, Gender: p.Gender, Ethnicity: p.Ethnicity, Iwi: p.Iwi,
		NZDepQuintile: p.NZDepQuintile, EnrolmentStatus: p.EnrolmentStatus, EnrolledOn: p.EnrolledOn,
		Phone: p.Phone, Email: p.Email, SMSConsent: p.SMSConsent, EmailConsent: p.EmailConsent,
		SupportContact: p.SupportContact,
	}
}

// LikelyDuplicates lists the patients of the tenant in ctx who may be the
// person n describes: the same NHI, or the same name (macrons and case aside)
// and date of birth. It returns ids only.
func LikelyDuplicates(ctx context.Context, d *db.DB, n NewPatient) ([]Duplicate, error) {
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("patient.LikelyDuplicates: %w", err)
	}
	var out []Duplicate
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = duplicates(tx, n, uuid.Nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("patient.LikelyDuplicates: %w", err)
	}
	return out, nil
}

// duplicates is one statement, so it fits a ReadInTenant transaction.
func duplicates(tx *db.Tx, n NewPatient, except uuid.UUID) ([]Duplicate, error) {
	var found []struct {
		ID    uuid.UUID
		ByNHI bool
	}
	err := tx.Raw(`SELECT id, coalesce(nhi = ?, false) AS by_nhi FROM patients
		WHERE id <> ? AND (nhi = ? OR (name_search = ? AND date_of_birth = ?))
		ORDER BY 2 DESC, id LIMIT 20`,
		nullText(n.NHI), except, nullText(n.NHI), searchName(n.FamilyName, n.GivenNames), n.DateOfBirth).
		Scan(&found).Error
	if err != nil {
		return nil, err
	}
	out := make([]Duplicate, len(found))
	for i, f := range found {
		out[i] = Duplicate{ID: f.ID, Match: MatchNameBirth}
		if f.ByNHI {
			out[i].Match = MatchNHI
		}
	}
	return out, nil
}

// Create registers a person in the tenant of ctx. A person with the same NHI
// is refused (ErrDuplicateNHI, a conflict); people with the same name and
// date of birth do not stop the registration but come back as a warning.
func Create(ctx context.Context, d *db.DB, actor uuid.UUID, n NewPatient) (Patient, []Duplicate, error) {
	if err := n.Validate(); err != nil {
		return Patient{}, nil, fmt.Errorf("patient.Create: %w", err)
	}
	var r row
	var dups []Duplicate
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if dups, err = duplicates(tx, n, uuid.Nil); err != nil {
			return err
		}
		for _, dup := range dups {
			if dup.Match == MatchNHI {
				return ErrDuplicateNHI
			}
		}
		t := now().UTC().Truncate(time.Microsecond) // what timestamptz keeps
		r = row{TenantID: tx.Tenant.ID, ID: uuid.Must(uuid.NewV7()), CreatedAt: t, UpdatedAt: t}
		r.fill(n)
		if err := tx.Create(&r).Error; err != nil {
			return nhiConflict(err)
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordCreate, actor, r.ID, "patient registered", nil))
	})
	if err != nil {
		return Patient{}, nil, fmt.Errorf("patient.Create: %w", err)
	}
	return r.patient(), dups, nil
}

// Get reads one patient of the tenant in ctx and records the read, with the
// caller's reason (the purpose the route implies), in the same transaction:
// no read without its audit event. Another tenant's id is not found.
func Get(ctx context.Context, d *db.DB, id uuid.UUID, reason string) (Patient, error) {
	if err := checkReason(reason); err != nil {
		return Patient{}, fmt.Errorf("patient.Get: %w", err)
	}
	var r row
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Where("id = ?", id).Take(&r).Error; err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordRead, uuid.Nil, r.ID, reason, nil))
	})
	if err != nil {
		return Patient{}, fmt.Errorf("patient.Get: %w", err)
	}
	return r.patient(), nil
}

// Search finds patients of the tenant in ctx by exact NHI (when query is a
// valid NHI) or by name: every word of the query must begin a word of the
// family or given names, case and macrons aside ("maori" finds "Māori").
// limit is clamped to 1…MaxSearch. The search is audited once, with its
// reason and the number of people found.
func Search(ctx context.Context, d *db.DB, query string, limit int, reason string) ([]Patient, error) {
	if err := checkReason(reason); err != nil {
		return nil, fmt.Errorf("patient.Search: %w", err)
	}
	query = cleanText(query)
	if !plainText(query) || utf8.RuneCountInString(query) > 2*maxName {
		return nil, fmt.Errorf("patient.Search: %w", fault.InvalidField("query", "must be text of at most 200 characters"))
	}
	words := strings.Fields(fold(query))
	if len(words) == 0 {
		return nil, fmt.Errorf("patient.Search: %w", fault.InvalidField("query", "type a name or an NHI number"))
	}
	limit = max(1, min(limit, MaxSearch))
	var rows []row
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		q := tx.Model(&row{})
		if nhi, err := NormaliseNHI(query); err == nil {
			q = q.Where("nhi = ?", nhi)
		} else {
			// The first word may begin the family name: that part uses the
			// (tenant_id, name_search) index; any word may begin any name.
			first := likeEscape(words[0]) + "%"
			q = q.Where("(name_search LIKE ? OR name_search LIKE ?)", first, "% "+first)
			for _, w := range words[1:] {
				w = likeEscape(w) + "%"
				q = q.Where("(name_search LIKE ? OR name_search LIKE ?)", w, "% "+w)
			}
		}
		if err := q.Order("name_search, date_of_birth, id").Limit(limit).Find(&rows).Error; err != nil {
			return err
		}
		detail := map[string]string{"kind": "search", "count": strconv.Itoa(len(rows))}
		e := event(ctx, audit.ActionRecordRead, uuid.Nil, uuid.Nil, reason, detail)
		e.ObjectID = ""
		return audit.Record(tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("patient.Search: %w", err)
	}
	out := make([]Patient, len(rows))
	for i, r := range rows {
		out[i] = r.patient()
	}
	return out, nil
}

// Changes are the fields an Update sets; nil fields stay as they are. An
// empty string clears an optional text field, 0 clears NZDepQuintile, a zero
// time clears EnrolledOn.
type Changes struct {
	NHI             *string
	FamilyName      *string
	GivenNames      *string
	PreferredName   *string
	DateOfBirth     *time.Time
	Gender          *string
	Ethnicity       *[]string
	Iwi             *string
	NZDepQuintile   *int
	EnrolmentStatus *string
	EnrolledOn      *time.Time
	Phone           *string
	Email           *string
	SMSConsent      *bool
	EmailConsent    *bool
	SupportContact  *string
}

func (c Changes) apply(n *NewPatient) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&n.NHI, c.NHI)
	set(&n.FamilyName, c.FamilyName)
	set(&n.GivenNames, c.GivenNames)
	set(&n.PreferredName, c.PreferredName)
	set(&n.Gender, c.Gender)
	set(&n.Iwi, c.Iwi)
	set(&n.EnrolmentStatus, c.EnrolmentStatus)
	set(&n.Phone, c.Phone)
	set(&n.Email, c.Email)
	set(&n.SupportContact, c.SupportContact)
	if c.DateOfBirth != nil {
		n.DateOfBirth = *c.DateOfBirth
	}
	if c.Ethnicity != nil {
		n.Ethnicity = append([]string{}, (*c.Ethnicity)...)
	}
	if c.NZDepQuintile != nil {
		n.NZDepQuintile = *c.NZDepQuintile
	}
	if c.EnrolledOn != nil {
		n.EnrolledOn = *c.EnrolledOn
	}
	if c.SMSConsent != nil {
		n.SMSConsent = *c.SMSConsent
	}
	if c.EmailConsent != nil {
		n.EmailConsent = *c.EmailConsent
	}
}

// Update changes a patient of the tenant in ctx. The whole record is checked
// again as it will stand; an NHI another patient has is refused
// (ErrDuplicateNHI). The audit event names the changed fields (the before and
// after values stay in the record and are never logged: audit detail must not
// carry patient details). Another tenant's id is not found.
func Update(ctx context.Context, d *db.DB, actor uuid.UUID, id uuid.UUID, c Changes) (Patient, error) {
	var r row
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&r).Error; err != nil {
			return err
		}
		n := r.newPatient()
		c.apply(&n)
		if err := n.Validate(); err != nil {
			return err
		}
		before := r
		r.fill(n)
		changed := changedFields(before, r)
		if len(changed) == 0 {
			return nil
		}
		if r.NHI != nil && (before.NHI == nil || *before.NHI != *r.NHI) {
			var taken int64
			if err := tx.Model(&row{}).Where("nhi = ? AND id <> ?", *r.NHI, r.ID).Count(&taken).Error; err != nil {
				return err
			}
			if taken > 0 {
				return ErrDuplicateNHI
			}
		}
		r.UpdatedAt = now().UTC().Truncate(time.Microsecond)
		res := tx.Model(&row{}).Where("id = ?", r.ID).Select(append(changed, "updated_at")).Updates(&r)
		if res.Error != nil {
			return nhiConflict(res.Error)
		}
		detail := map[string]string{"changed": strings.Join(changed, ",")}
		return audit.Record(tx, event(ctx, audit.ActionRecordUpdate, actor, r.ID, "patient details changed", detail))
	})
	if err != nil {
		return Patient{}, fmt.Errorf("patient.Update: %w", err)
	}
	return r.patient(), nil
}

// changedFields lists the columns whose values differ between a and b.
func changedFields(a, b row) []string {
	var out []string
	add := func(col string, same bool) {
		if !same {
			out = append(out, col)
		}
	}
	add("nhi", ptrEqual(a.NHI, b.NHI))
	add("family_name", a.FamilyName == b.FamilyName)
	add("given_names", a.GivenNames == b.GivenNames)
	add("preferred_name", a.PreferredName == b.PreferredName)
	add("name_search", a.NameSearch == b.NameSearch)
	add("date_of_birth", dateOf(a.DateOfBirth).Equal(dateOf(b.DateOfBirth)))
	add("gender", a.Gender == b.Gender)
	add("ethnicity", slices.Equal(a.Ethnicity, b.Ethnicity))
	add("ethnic_group", a.EthnicGroup == b.EthnicGroup)
	add("iwi", a.Iwi == b.Iwi)
	add("nzdep_quintile", ptrEqual(a.NZDepQuintile, b.NZDepQuintile))
	add("enrolment_status", a.EnrolmentStatus == b.EnrolmentStatus)
	add("enrolled_on", (a.EnrolledOn == nil) == (b.EnrolledOn == nil) &&
		(a.EnrolledOn == nil || dateOf(*a.EnrolledOn).Equal(dateOf(*b.EnrolledOn))))
	add("phone", a.Phone == b.Phone)
	add("email", a.Email == b.Email)
	add("sms_consent", a.SMSConsent == b.SMSConsent)
	add("email_consent", a.EmailConsent == b.EmailConsent)
	add("support_contact", a.SupportContact == b.SupportContact)
	return out
}

func ptrEqual[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// event is an audit event about one patient record; the actor defaults to
// the one in ctx, with the actor's roles.
func event(ctx context.Context, action string, actor, patientID uuid.UUID, reason string, detail map[string]string) audit.Event {
	e := audit.Event{Action: action, ActorUserID: actor, PatientID: patientID, Object: "patient", Reason: reason, Detail: detail}
	if patientID != uuid.Nil {
		e.ObjectID = patientID.String()
	}
	if a, ok := tenants.ActorFrom(ctx); ok {
		if e.ActorUserID == uuid.Nil {
			e.ActorUserID = a.UserID
		}
		if a.UserID == e.ActorUserID {
			e.ActorRoles = a.Roles
		}
	}
	return e
}

// checkReason: every read of a patient record says why.
func checkReason(reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || !plainText(reason) || utf8.RuneCountInString(reason) > 500 {
		return fault.InvalidField("reason", "a reason of 1–500 characters is required to read a patient record")
	}
	return nil
}

// nhiConflict turns the unique index's refusal (two registrations racing
// past the check) into the same message as the check.
func nhiConflict(err error) error {
	if errors.Is(db.Translate(err), fault.Conflict) {
		return fault.New(fault.KindConflict, ErrDuplicateNHI.Message, err)
	}
	return err
}

// searchName is the name_search column: family then given names, folded.
func searchName(family, given string) string {
	return strings.Join(strings.Fields(fold(family+" "+given)), " ")
}

// fold lower-cases s, removes diacritics (ā → a) and makes hyphens word
// breaks ("Ngata-Smith" is found by "smith"): the form names are searched
// and compared in.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '-' || unicode.Is(unicode.Pd, r):
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// cleanText trims and NFC-normalises free text: 'Māori' typed with a
// combining macron must equal the precomposed one.
func cleanText(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// plainText: valid UTF-8 without control characters (NUL included).
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// dateOf is the calendar date of t (as written, whatever its zone) at
// midnight UTC.
func dateOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// todayNZ is today's date where it is latest in New Zealand: the Chatham
// Islands are at most UTC+13:45, so a birth registered today anywhere in the
// country is never "in the future".
func todayNZ() time.Time {
	return dateOf(now().In(time.FixedZone("NZ-latest", 13*3600+45*60)))
}
