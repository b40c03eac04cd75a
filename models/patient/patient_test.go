package patient_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var actor = uuid.Must(uuid.NewV7())

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func person(family, given string) patient.NewPatient {
	return patient.NewPatient{
		FamilyName: family, GivenNames: given, DateOfBirth: date(1988, 3, 14), Gender: "female",
		Ethnicity: []string{"11", "21"}, NZDepQuintile: 5, EnrolmentStatus: "enrolled", EnrolledOn: date(2020, 1, 6),
		Phone: "021 123 4567", SMSConsent: true,
	}
}

func create(t *testing.T, ctx context.Context, d *db.DB, n patient.NewPatient) (patient.Patient, []patient.Duplicate) {
	t.Helper()
	p, dups, err := patient.Create(ctx, d, actor, n)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return p, dups
}

func count(t *testing.T, ctx context.Context, d *db.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.InTenant(ctx, func(tx *db.Tx) error { return tx.Raw(q, args...).Scan(&n).Error }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateGetSearch(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	n := person("Ma\u0304ori-Te Whata", "Aroha Mere") // combining macron (NFD)
	n.NHI = " zzz0016 "
	n.PreferredName = "Ro"
	p, dups := create(t, ctx, env.DB, n)
	if len(dups) != 0 {
		t.Errorf("duplicates of a first registration: %v", dups)
	}
	if p.FamilyName != "M\u0101ori-Te Whata" || p.NHI != "ZZZ0016" || p.EthnicGroup != patient.GroupMaori {
		t.Errorf("created %q %q %q; want NFC name, normalised NHI, group maori", p.FamilyName, p.NHI, p.EthnicGroup)
	}
	got, err := patient.Get(ctx, env.DB, p.ID, "care: session today")
	if err != nil {
		t.Fatal(err)
	}
	if got.FamilyName != "Māori-Te Whata" || got.GivenNames != "Aroha Mere" || got.PreferredName != "Ro" ||
		!got.DateOfBirth.Equal(date(1988, 3, 14)) || got.NZDepQuintile != 5 || !got.EnrolledOn.Equal(date(2020, 1, 6)) ||
		strings.Join(got.Ethnicity, ",") != "11,21" || !got.SMSConsent || got.EmailConsent || got.Gender != "female" {
		t.Errorf("Get = %+v", got)
	}
	var stored string
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT family_name FROM patients WHERE id = ?`, p.ID).Scan(&stored).Error
	}); err != nil || stored != "M\u0101ori-Te Whata" {
		t.Errorf("stored family name %q (%v), want the NFC form", stored, err)
	}
	create(t, ctx, env.DB, person("Smith", "John"))

	for _, q := range []string{"Maori", "māori", "MĀORI", "Ma\u0304o", "te wha", "aroha", "mere maori", "zzz0016", "ZZZ0016"} {
		found, err := patient.Search(ctx, env.DB, q, 10, "find a person to book")
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		if len(found) != 1 || found[0].ID != p.ID {
			t.Errorf("Search(%q) found %d people, want the one registered", q, len(found))
		}
	}
	for _, q := range []string{"aori", "whata aroha x", "ZZZ0024", "%", "_"} {
		found, err := patient.Search(ctx, env.DB, q, 10, "find a person to book")
		if err != nil || len(found) != 0 {
			t.Errorf("Search(%q) = %d people, %v; want none", q, len(found), err)
		}
	}
	if _, err := patient.Search(ctx, env.DB, "   ", 10, "find"); !errors.Is(err, fault.Invalid) {
		t.Errorf("empty search: %v, want invalid", err)
	}
	if _, err := patient.Get(ctx, env.DB, p.ID, " "); !errors.Is(err, fault.Invalid) {
		t.Errorf("Get without a reason: %v, want invalid", err)
	}
}

func TestDuplicateNHIRefused(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	n := person("Tane", "Wiremu")
	n.NHI = "ZBN77VL"
	first, _ := create(t, ctx, env.DB, n)
	again := person("Other", "Person")
	again.NHI = "zbn77vl"
	_, _, err := patient.Create(ctx, env.DB, actor, again)
	if !errors.Is(err, fault.Conflict) || fault.As(err).Message != "a person with this NHI is already registered here" {
		t.Fatalf("second registration of an NHI: %v, want the conflict", err)
	}
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM patients`); c != 1 {
		t.Errorf("%d patients, want 1", c)
	}
	dups, err := patient.LikelyDuplicates(ctx, env.DB, again)
	if err != nil || len(dups) != 1 || dups[0].ID != first.ID || dups[0].Match != patient.MatchNHI {
		t.Errorf("LikelyDuplicates = %v, %v; want the NHI match", dups, err)
	}
	// Taking another's NHI by update is refused too.
	other, _ := create(t, ctx, env.DB, person("Other", "Person"))
	nhi := "ZBN77VL"
	if _, err := patient.Update(ctx, env.DB, actor, other.ID, patient.Changes{NHI: &nhi}); !errors.Is(err, fault.Conflict) {
		t.Errorf("update to a registered NHI: %v, want conflict", err)
	}
}

func TestSameNameAndBirthDateWarned(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	first, _ := create(t, ctx, env.DB, person("Ngāta", "Hēmi"))
	n := person("NGATA", "hemi")
	n.Phone, n.SMSConsent = "", false
	before, err := patient.LikelyDuplicates(ctx, env.DB, n)
	if err != nil || len(before) != 1 || before[0].ID != first.ID || before[0].Match != patient.MatchNameBirth {
		t.Fatalf("LikelyDuplicates = %v, %v; want the name and birth date match", before, err)
	}
	second, dups := create(t, ctx, env.DB, n)
	if len(dups) != 1 || dups[0].ID != first.ID || dups[0].Match != patient.MatchNameBirth {
		t.Errorf("Create warned %v, want the first registration", dups)
	}
	if second.ID == first.ID || count(t, ctx, env.DB, `SELECT count(*) FROM patients`) != 2 {
		t.Error("the second registration was not created")
	}
	n.DateOfBirth = date(1990, 1, 1)
	if _, dups := create(t, ctx, env.DB, n); len(dups) != 0 {
		t.Errorf("another birth date warned %v", dups)
	}
}

func TestCrossTenant(t *testing.T) {
	env := dbtest.New(t)
	ctxA, _ := env.Tenant(t)
	ctxB, _ := env.Tenant(t)
	n := person("Parata", "Huia")
	n.NHI = "ZAC5361"
	p, _ := create(t, ctxA, env.DB, n)

	if _, err := patient.Get(ctxB, env.DB, p.ID, "care"); !errors.Is(err, fault.NotFound) {
		t.Errorf("Get from B: %v, want not found", err)
	}
	for _, q := range []string{"parata", "ZAC5361"} {
		if found, err := patient.Search(ctxB, env.DB, q, 10, "care"); err != nil || len(found) != 0 {
			t.Errorf("Search(%q) from B = %d, %v; want none", q, len(found), err)
		}
	}
	name := "Changed"
	if _, err := patient.Update(ctxB, env.DB, actor, p.ID, patient.Changes{FamilyName: &name}); !errors.Is(err, fault.NotFound) {
		t.Errorf("Update from B: %v, want not found", err)
	}
	if dups, err := patient.LikelyDuplicates(ctxB, env.DB, n); err != nil || len(dups) != 0 {
		t.Errorf("LikelyDuplicates from B = %v, %v; want none", dups, err)
	}
	// The same NHI may be registered at another practice.
	if _, dups := create(t, ctxB, env.DB, n); len(dups) != 0 {
		t.Errorf("B's registration warned of A's patient: %v", dups)
	}
	got, err := patient.Get(ctxA, env.DB, p.ID, "care")
	if err != nil || got.FamilyName != "Parata" {
		t.Errorf("A's patient after B's attempts: %q, %v", got.FamilyName, err)
	}
}

func TestEveryReadAudited(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p, _ := create(t, ctx, env.DB, person("Kereama", "Tui"))
	create(t, ctx, env.DB, person("Kereama", "Rangi"))
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM audit_events WHERE action = 'record.create' AND patient_id = ? AND actor_user_id = ?`, p.ID, actor); c != 1 {
		t.Errorf("%d record.create events, want 1", c)
	}
	for _, reason := range []string{"warm handover from GP", "session notes"} {
		if _, err := patient.Get(ctx, env.DB, p.ID, reason); err != nil {
			t.Fatal(err)
		}
		if c := count(t, ctx, env.DB, `SELECT count(*) FROM audit_events WHERE action = 'record.read' AND patient_id = ?
			AND object = 'patient' AND object_id = ? AND reason = ?`, p.ID, p.ID.String(), reason); c != 1 {
			t.Errorf("%d record.read events with reason %q, want 1", c, reason)
		}
	}
	found, err := patient.Search(ctx, env.DB, "kereama", 10, "booking search")
	if err != nil || len(found) != 2 {
		t.Fatalf("Search = %d, %v", len(found), err)
	}
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM audit_events WHERE action = 'record.read' AND reason = 'booking search'
		AND detail->>'kind' = 'search' AND detail->>'count' = '2'`); c != 1 {
		t.Errorf("%d search events with the count, want 1", c)
	}
	// A failed read (no such patient) leaves no read behind.
	if _, err := patient.Get(ctx, env.DB, uuid.Must(uuid.NewV7()), "curious"); !errors.Is(err, fault.NotFound) {
		t.Errorf("Get of an unknown id: %v", err)
	}
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM audit_events WHERE reason = 'curious'`); c != 0 {
		t.Errorf("%d events for a read that found nothing", c)
	}
}

func TestUpdate(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p, _ := create(t, ctx, env.DB, person("Walker", "Ana"))
	fam, phone, eth, q := "Wāka", "", []string{"31"}, 0
	sms := false
	got, err := patient.Update(ctx, env.DB, actor, p.ID, patient.Changes{
		FamilyName: &fam, Phone: &phone, SMSConsent: &sms, Ethnicity: &eth, NZDepQuintile: &q,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.FamilyName != "Wāka" || got.Phone != "" || got.EthnicGroup != patient.GroupPacific || got.NZDepQuintile != 0 {
		t.Errorf("Update = %+v", got)
	}
	found, err := patient.Search(ctx, env.DB, "waka", 5, "care")
	if err != nil || len(found) != 1 {
		t.Errorf("search by the new name: %d, %v", len(found), err)
	}
	var changed string
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT detail->>'changed' FROM audit_events WHERE action = 'record.update' AND patient_id = ? AND actor_user_id = ?`,
			p.ID, actor).Scan(&changed).Error
	}); err != nil {
		t.Fatal(err)
	}
	if changed != "family_name,name_search,ethnicity,ethnic_group,nzdep_quintile,phone,sms_consent" {
		t.Errorf("audited changes %q", changed)
	}
	if strings.Contains(changed, "Wāka") {
		t.Error("the audit detail carries a value")
	}
	// No change: no write, no event.
	if _, err := patient.Update(ctx, env.DB, actor, p.ID, patient.Changes{FamilyName: &fam}); err != nil {
		t.Fatal(err)
	}
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM audit_events WHERE action = 'record.update' AND patient_id = ?`, p.ID); c != 1 {
		t.Errorf("%d update events, want 1", c)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	base, _ := create(t, ctx, env.DB, person("Base", "Person"))
	tomorrow := time.Now().UTC().AddDate(0, 0, 2)
	cases := []struct {
		field string
		edit  func(*patient.NewPatient)
	}{
		{"nhi", func(n *patient.NewPatient) { n.NHI = "ZZZ0017" }},
		{"nhi", func(n *patient.NewPatient) { n.NHI = "ZZZ00AX" }},
		{"family_name", func(n *patient.NewPatient) { n.FamilyName = "  " }},
		{"family_name", func(n *patient.NewPatient) { n.FamilyName = strings.Repeat("ā", 101) }},
		{"family_name", func(n *patient.NewPatient) { n.FamilyName = "Bad\x00Name" }},
		{"given_names", func(n *patient.NewPatient) { n.GivenNames = "bad\xffutf8" }},
		{"preferred_name", func(n *patient.NewPatient) { n.PreferredName = "line\nbreak" }},
		{"date_of_birth", func(n *patient.NewPatient) { n.DateOfBirth = time.Time{} }},
		{"date_of_birth", func(n *patient.NewPatient) { n.DateOfBirth = tomorrow }},
		{"date_of_birth", func(n *patient.NewPatient) { n.DateOfBirth = date(1899, 12, 31) }},
		{"gender", func(n *patient.NewPatient) { n.Gender = "f" }},
		{"ethnicity", func(n *patient.NewPatient) { n.Ethnicity = []string{"11", "12", "21", "31", "42", "43", "51"} }},
		{"ethnicity", func(n *patient.NewPatient) { n.Ethnicity = []string{"22"} }},
		{"ethnicity", func(n *patient.NewPatient) { n.Ethnicity = []string{"1"} }},
		{"ethnicity", func(n *patient.NewPatient) { n.Ethnicity = []string{"21", "21"} }},
		{"nzdep_quintile", func(n *patient.NewPatient) { n.NZDepQuintile = 6 }},
		{"enrolment_status", func(n *patient.NewPatient) { n.EnrolmentStatus = "yes" }},
		{"enrolled_on", func(n *patient.NewPatient) { n.EnrolledOn = tomorrow }},
		{"email", func(n *patient.NewPatient) { n.Email = "not an address" }},
		{"email", func(n *patient.NewPatient) { n.Email = "Ana <ana@example.nz>" }},
		{"phone", func(n *patient.NewPatient) { n.Phone = "12345" }},
		{"phone", func(n *patient.NewPatient) { n.Phone = "021-ABC-4567" }},
		{"sms_consent", func(n *patient.NewPatient) { n.Phone = "" }},
		{"email_consent", func(n *patient.NewPatient) { n.EmailConsent = true }},
		{"support_contact", func(n *patient.NewPatient) { n.SupportContact = strings.Repeat("x", 501) }},
	}
	for _, c := range cases {
		n := person("Newperson", "Test")
		c.edit(&n)
		_, _, err := patient.Create(ctx, env.DB, actor, n)
		if !hasField(err, c.field) {
			t.Errorf("Create with bad %s: %v", c.field, err)
		}
		// The same change as an update of a registered patient.
		upd := changesFrom(n)
		if _, err := patient.Update(ctx, env.DB, actor, base.ID, upd); !hasField(err, c.field) {
			t.Errorf("Update with bad %s: %v", c.field, err)
		}
	}
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM patients`); c != 1 {
		t.Errorf("%d patients after bad input, want 1", c)
	}
	if c := count(t, ctx, env.DB, `SELECT count(*) FROM audit_events WHERE action IN ('record.create', 'record.update')`); c != 1 {
		t.Errorf("%d create/update events, want the one good create", c)
	}
	got, err := patient.Get(ctx, env.DB, base.ID, "check")
	if err != nil || got.FamilyName != "Base" || !got.UpdatedAt.Equal(base.UpdatedAt) {
		t.Errorf("the registered patient changed: %+v, %v", got, err)
	}
}

func changesFrom(n patient.NewPatient) patient.Changes {
	return patient.Changes{
		NHI: &n.NHI, FamilyName: &n.FamilyName, GivenNames: &n.GivenNames, PreferredName: &n.PreferredName,
		DateOfBirth: &n.DateOfBirth, Gender: &n.Gender, Ethnicity: &n.Ethnicity, Iwi: &n.Iwi,
		NZDepQuintile: &n.NZDepQuintile, EnrolmentStatus: &n.EnrolmentStatus, EnrolledOn: &n.EnrolledOn,
		Phone: &n.Phone, Email: &n.Email, SMSConsent: &n.SMSConsent, EmailConsent: &n.EmailConsent,
		SupportContact: &n.SupportContact,
	}
}

func hasField(err error, field string) bool {
	if !errors.Is(err, fault.Invalid) {
		return false
	}
	for _, f := range fault.As(err).Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestPrioritisedGroup(t *testing.T) {
	for _, c := range []struct {
		codes []string
		want  string
	}{
		{nil, patient.GroupUnknown},
		{[]string{"99"}, patient.GroupUnknown},
		{[]string{"11"}, patient.GroupEuropean},
		{[]string{"11", "61"}, patient.GroupOther},
		{[]string{"11", "61", "53"}, patient.GroupMELAA},
		{[]string{"52", "42"}, patient.GroupAsian},
		{[]string{"43111", "32"}, patient.GroupPacific}, // Cook Islands Māori is Pacific
		{[]string{"11", "31", "21111"}, patient.GroupMaori},
		{[]string{"95", "12"}, patient.GroupEuropean},
	} {
		if got := patient.PrioritisedGroup(c.codes); got != c.want {
			t.Errorf("PrioritisedGroup(%v) = %s, want %s", c.codes, got, c.want)
		}
	}
	for _, code := range []string{"10", "21", "37", "44", "61", "94", "99", "11111", "21111", "99999"} {
		if _, ok := patient.Level2(code); !ok {
			t.Errorf("Level2(%q) refused", code)
		}
	}
	for _, code := range []string{"", "1", "2", "20", "22", "38", "45", "54", "62", "93", "111", "1111", "22111", "211111", "2a"} {
		if _, ok := patient.Level2(code); ok {
			t.Errorf("Level2(%q) accepted", code)
		}
	}
	if name, _ := patient.EthnicityName("21"); name != "Māori" {
		t.Errorf("EthnicityName(21) = %q", name)
	}
}
