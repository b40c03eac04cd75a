package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/db"
)

// HistoryCounts is what History wrote.
type HistoryCounts struct {
	Patients     int
	Appointments int
	Templates    int
	Skipped      bool // the practice already had appointments: nothing written
}

// History gives the practice in ctx a generated history (Generate) of its
// current staff, written in one transaction with multi-row inserts (unnest
// over arrays: a few statements for thousands of rows). A practice that
// already has appointments is left alone, so seeding twice is harmless.
// Practitioners without a schedule get a weekly template: open mornings for
// same-day introductions, booked afternoons.
func History(ctx context.Context, d *db.DB, opt HistoryOptions, weekdays map[uuid.UUID][]time.Weekday) (HistoryCounts, error) {
	opt = opt.withDefaults()
	var out HistoryCounts
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		out = HistoryCounts{}
		// Two seeders at once (a server starting and `tuhono seed demo`):
		// the second waits here, then finds the history made.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('tuhono demo history ' || ?::text))`, tx.Tenant.ID.String()).Error; err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM (SELECT 1 FROM appointments LIMIT 1) x`).Scan(&n).Error; err != nil {
			return err
		}
		staff, err := loadStaff(tx, weekdays)
		if err != nil {
			return err
		}
		if out.Templates, err = writeTemplates(tx, staff, opt.From); err != nil {
			return err
		}
		if n > 0 {
			out.Skipped = true
			return nil
		}
		plan := Generate(tx.Tenant.Location(), staff, opt)
		if err := writePatients(tx, plan.Patients); err != nil {
			return err
		}
		if err := writeAppointments(tx, staff.Creator, plan.Appointments); err != nil {
			return err
		}
		out.Patients, out.Appointments = len(plan.Patients), len(plan.Appointments)
		return nil
	})
	if err != nil {
		return HistoryCounts{}, fmt.Errorf("demo.History: %w", err)
	}
	return out, nil
}

type memberRow struct {
	UserID uuid.UUID
	Roles  string // comma-separated: GORM does not scan text[] here
}

// loadStaff reads the practice's active members in a stable order.
func loadStaff(tx *db.Tx, weekdays map[uuid.UUID][]time.Weekday) (Staff, error) {
	var rows []memberRow
	if err := tx.Raw(`SELECT user_id, array_to_string(roles, ',') AS roles FROM memberships WHERE status = 'active' ORDER BY user_id`).
		Scan(&rows).Error; err != nil {
		return Staff{}, err
	}
	var s Staff
	for _, r := range rows {
		if s.Creator == uuid.Nil {
			s.Creator = r.UserID
		}
		for _, role := range strings.Split(r.Roles, ",") {
			switch role {
			case "hip", "health_coach", "support_worker":
				s.Practitioners = append(s.Practitioners, Practitioner{ID: r.UserID, ServiceLine: role, Weekdays: weekdays[r.UserID]})
			case "gp", "nurse":
				s.Introducers = append(s.Introducers, r.UserID)
			case "practice_admin":
				s.Creator = r.UserID
			}
		}
	}
	if s.Creator == uuid.Nil {
		return Staff{}, fmt.Errorf("the practice has no members")
	}
	return s, nil
}

// chunk is how many rows one INSERT carries.
const chunk = 5000

func ids(n int, f func(int) uuid.UUID) pq.StringArray {
	out := make(pq.StringArray, n)
	for i := range out {
		out[i] = f(i).String()
	}
	return out
}

func nullableID(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func writePatients(tx *db.Tx, ps []GenPatient) error {
	for lo := 0; lo < len(ps); lo += chunk {
		part := ps[lo:min(lo+chunk, len(ps))]
		var nhi, family, given, search, dob, gender, eth, group, phone, email pq.StringArray
		var dep pq.Int64Array
		var sms, mail pq.BoolArray
		for _, p := range part {
			nhi = append(nhi, p.NHI)
			family = append(family, p.Family)
			given = append(given, p.Given)
			search = append(search, strings.Join(strings.Fields(fold(p.Family+" "+p.Given)), " "))
			dob = append(dob, p.DateOfBirth.Format(time.DateOnly))
			gender = append(gender, p.Gender)
			eth = append(eth, strings.Join(p.Ethnicity, ","))
			group = append(group, p.EthnicGroup)
			dep = append(dep, int64(p.NZDep))
			phone = append(phone, p.Phone)
			email = append(email, p.Email)
			sms = append(sms, p.SMSConsent)
			mail = append(mail, p.EmailConsnt)
		}
		err := tx.Exec(`INSERT INTO patients (tenant_id, id, nhi, family_name, given_names, name_search, date_of_birth,
				gender, ethnicity, ethnic_group, nzdep_quintile, enrolment_status, phone, email, sms_consent, email_consent)
			SELECT ?, u.id, u.nhi, u.family, u.given, u.search, u.dob, u.gender, string_to_array(u.eth, ','), u.grp,
				u.dep, 'enrolled', u.phone, u.email, u.sms, u.mail
			FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[],
				?::int[], ?::text[], ?::text[], ?::bool[], ?::bool[])
				AS u(id, nhi, family, given, search, dob, gender, eth, grp, dep, phone, email, sms, mail)`,
			tx.Tenant.ID, ids(len(part), func(i int) uuid.UUID { return part[i].ID }), nhi, family, given, search, dob,
			gender, eth, group, dep, phone, email, sms, mail).Error
		if err != nil {
			return fmt.Errorf("patients: %w", err)
		}
	}
	return nil
}

func writeAppointments(tx *db.Tx, creator uuid.UUID, as []GenAppointment) error {
	for lo := 0; lo < len(as); lo += chunk {
		part := as[lo:min(lo+chunk, len(as))]
		var prac, pat, kind, mode, line, starts, ends, status, introBy, introAt, cancelledAt, created pq.StringArray
		for _, a := range part {
			prac = append(prac, a.PractitionerID.String())
			pat = append(pat, a.PatientID.String())
			kind = append(kind, a.Kind)
			mode = append(mode, a.Mode)
			line = append(line, a.ServiceLine)
			starts = append(starts, stamp(a.StartsAt))
			ends = append(ends, stamp(a.EndsAt))
			status = append(status, a.Status)
			introBy = append(introBy, nullableID(a.IntroducedBy))
			introAt = append(introAt, stamp(a.IntroducedAt))
			cancelledAt = append(cancelledAt, stamp(a.CancelledAt))
			created = append(created, stamp(a.CreatedAt))
		}
		err := tx.Exec(`INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
				starts_at, ends_at, status, introduced_by, introduced_at, cancelled_by, cancelled_at, cancel_reason,
				created_by, created_at, updated_at)
			SELECT ?, u.id, u.prac, u.pat, u.kind, u.mode, u.line, u.starts, u.ends, u.status,
				nullif(u.intro_by, '')::uuid, nullif(u.intro_at, '')::timestamptz,
				CASE WHEN u.status = 'cancelled' THEN ?::uuid END, nullif(u.cancelled_at, '')::timestamptz,
				CASE WHEN u.status = 'cancelled' THEN 'the person asked to cancel' END,
				coalesce(nullif(u.intro_by, '')::uuid, ?::uuid), u.created, u.created
			FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[],
				?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[])
				AS u(id, prac, pat, kind, mode, line, starts, ends, status, intro_by, intro_at, cancelled_at, created)`,
			tx.Tenant.ID, creator, creator, ids(len(part), func(i int) uuid.UUID { return part[i].ID }), prac, pat, kind, mode,
			line, starts, ends, status, introBy, introAt, cancelledAt, created).Error
		if err != nil {
			return fmt.Errorf("appointments: %w", db.Translate(err))
		}
	}
	return nil
}

// writeTemplates gives each practitioner without a schedule here a weekly
// template from the start of the history: mornings open for same-day
// introductions, afternoons booked (a Support Worker's whole day is booked).
func writeTemplates(tx *db.Tx, s Staff, from time.Time) (int, error) {
	made := 0
	seen := map[uuid.UUID]bool{}
	for _, p := range s.Practitioners {
		if seen[p.ID] {
			continue // one template per person, whatever their roles
		}
		seen[p.ID] = true
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM schedule_templates WHERE practitioner_id = ?`, p.ID).Scan(&n).Error; err != nil {
			return made, err
		}
		if n > 0 {
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return made, err
		}
		if err := tx.Exec(`INSERT INTO schedule_templates (tenant_id, id, practitioner_id, effective_from, created_by)
			VALUES (?, ?, ?, ?, ?)`, tx.Tenant.ID, id, p.ID, from.In(tx.Tenant.Location()).Format(time.DateOnly), s.Creator).Error; err != nil {
			return made, err
		}
		morningKind := "open"
		if p.ServiceLine == "support_worker" {
			morningKind = "booked"
		}
		for d := time.Sunday; d <= time.Saturday; d++ {
			if !worksOn(p, d) {
				continue
			}
			iso := int(d)
			if d == time.Sunday {
				iso = 7
			}
			if err := tx.Exec(`INSERT INTO schedule_blocks (tenant_id, template_id, weekday, starts, ends, kind)
				VALUES (?, ?, ?, '09:00', '12:30', ?), (?, ?, ?, '13:00', '16:30', 'booked')`,
				tx.Tenant.ID, id, iso, morningKind, tx.Tenant.ID, id, iso).Error; err != nil {
				return made, err
			}
		}
		made++
	}
	return made, nil
}
