package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// The booking scenarios. book POSTs /api/v1/t/{slug}/appointments with the
// bench's token through the full stack: authentication, Casbin, huma's
// validation, then booking.Book's one InTenant transaction (the patient and
// practitioner checked inside the wall, expired holds released, the person's
// overlaps looked up, the INSERT against the exclusion constraint, the audit
// event). Its ceiling book-bare is a bare fiber handler that decodes the same
// JSON and runs one pgx INSERT of the same row on the superuser pool. Every
// request of both takes the next slot of a shared counter, a different
// practitioner or time, so none conflicts and every one inserts a row.

const (
	benchPractitioners = 10
	// benchPatients rotate through the bookings, as a practice's people do:
	// one person with thousands of appointments would make the person's
	// overlap check (booking's double-booking warning) the whole measure.
	benchPatients = 200
	barePathBook  = "/book"
)

// bookBench is the booking scenarios' seed and slot counter.
type bookBench struct {
	Practitioners []uuid.UUID
	Patients      []uuid.UUID
	Start         time.Time
	next          atomic.Int64
}

// seedBooking makes benchPractitioners HIPs and benchPatients patients at
// the bench practice.
func (s *stack) seedBooking(ctx context.Context, d *db.DB, accounts *account.Service) error {
	tctx := tenants.WithTenant(ctx, s.Tenant)
	b := &bookBench{Start: time.Now().UTC().Truncate(24*time.Hour).AddDate(1, 0, 0)}
	for i := range benchPractitioners {
		u, err := accounts.CreateUser(ctx, fmt.Sprintf("bench.hip%d@example.org", i), fmt.Sprintf("Bench HIP %d", i),
			uuid.NewString(), false)
		if err != nil {
			return fmt.Errorf("seed practitioner: %w", err)
		}
		if err := accounts.AddMember(tctx, s.UserID, u.ID, []string{"hip"}); err != nil {
			return fmt.Errorf("seed practitioner membership: %w", err)
		}
		b.Practitioners = append(b.Practitioners, u.ID)
	}
	for i := range benchPatients {
		p, _, err := patient.Create(tctx, d, s.UserID, patient.NewPatient{FamilyName: "Ngata", GivenNames: fmt.Sprintf("Aroha %d", i),
			DateOfBirth: time.Date(1950+i%60, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return fmt.Errorf("seed patient: %w", err)
		}
		b.Patients = append(b.Patients, p.ID)
	}
	s.book = b
	return nil
}

// benchHistoryDays of past sessions give the bench practice a year's diary:
// the booking path's look-ups (the person's overlaps, expired holds) then
// run against a realistic table with current planner statistics, not an
// empty one whose first plans would be kept for the whole run.
const benchHistoryDays = 365

// history writes a year of completed sessions for the bench practitioners,
// eight a day each on weekdays, the people in turn, then analyses.
func (b *bookBench) history(ctx context.Context, pool *pgxpool.Pool, tenantID, userID uuid.UUID) error {
	practitioners := make([]string, len(b.Practitioners))
	for i, p := range b.Practitioners {
		practitioners[i] = p.String()
	}
	patients := make([]string, len(b.Patients))
	for i, p := range b.Patients {
		patients[i] = p.String()
	}
	_, err := pool.Exec(ctx, `INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
			starts_at, ends_at, status, created_by)
		SELECT $1, gen_random_uuid(), pr::uuid, ($3::uuid[])[1 + (d * 80 + s * 10 + i) % cardinality($3::uuid[])],
			'booked', 'in_person', 'hip', t, t + interval '30 minutes', 'completed', $4
		FROM unnest($2::uuid[]) WITH ORDINALITY AS p(pr, i),
			generate_series(1, $5::int) AS d,
			generate_series(0, 7) AS s,
			LATERAL (SELECT date_trunc('day', now()) - make_interval(days => d) + interval '20 hours' + s * interval '45 minutes' AS t) AS x
		WHERE extract(isodow FROM t) < 6`, tenantID, practitioners, patients, userID, benchHistoryDays)
	if err != nil {
		return fmt.Errorf("seed booking history: %w", err)
	}
	_, err = pool.Exec(ctx, `ANALYZE appointments; ANALYZE patients; ANALYZE memberships`)
	return err
}

// bookJSON is the body of a booking, for the API and the bare handler alike.
type bookJSON struct {
	PractitionerID string    `json:"practitioner_id"`
	PatientID      string    `json:"patient_id"`
	Kind           string    `json:"kind"`
	Mode           string    `json:"mode"`
	ServiceLine    string    `json:"service_line"`
	StartsAt       time.Time `json:"starts_at"`
	Minutes        int       `json:"minutes"`
}

// body is the next free slot: practitioners in turn, then 30 minutes later;
// the people in turn too.
func (b *bookBench) body() []byte {
	n := b.next.Add(1) - 1
	p := b.Practitioners[n%int64(len(b.Practitioners))]
	at := b.Start.Add(time.Duration(n/int64(len(b.Practitioners))) * 30 * time.Minute)
	out, _ := json.Marshal(bookJSON{PractitionerID: p.String(), PatientID: b.Patients[n%int64(len(b.Patients))].String(), Kind: "booked",
		Mode: "in_person", ServiceLine: "hip", StartsAt: at, Minutes: 30})
	return out
}

// bareBook serves the ceiling: decode, one INSERT, answer the id.
func (s *stack) bareBook(app *fiber.App, pool *pgxpool.Pool) {
	app.Post(barePathBook, func(c *fiber.Ctx) error {
		var in bookJSON
		if err := json.Unmarshal(c.Body(), &in); err != nil {
			return fiber.ErrBadRequest
		}
		id := uuid.Must(uuid.NewV7())
		_, err := pool.Exec(c.UserContext(), `INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode,
				service_line, starts_at, ends_at, status, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', $10)`,
			s.Tenant.ID, id, in.PractitionerID, in.PatientID, in.Kind, in.Mode, in.ServiceLine,
			in.StartsAt, in.StartsAt.Add(time.Duration(in.Minutes)*time.Minute), s.UserID)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id.String()})
	})
}

// bookTargets are the book scenario and its ceiling.
func (s *stack) bookTargets() (run, ceiling target) {
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + s.Token}
	run = target{Name: "book", URL: s.AppURL + "/api/v1/t/" + s.Tenant.Slug + "/appointments", Want: `"status":"booked"`,
		Method: "POST", Header: h, Bodies: s.book.body}
	ceiling = target{Name: "book-bare", URL: s.BareURL + barePathBook, Want: `"id"`, Method: "POST",
		Header: map[string]string{"Content-Type": "application/json"}, Bodies: s.book.body}
	return run, ceiling
}
