package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/patient"
)

// Staff is who works at a practice, as the generator needs them.
type Staff struct {
	Practitioners []Practitioner
	Introducers   []uuid.UUID // GPs and nurses: they introduce same-day people
	Creator       uuid.UUID   // who books when no introducer does (reception)
}

// Practitioner is a HIP, Health Coach or Support Worker and the weekdays
// they work at this practice (a HIP covering two practices splits the week).
type Practitioner struct {
	ID          uuid.UUID
	ServiceLine string // "hip", "health_coach", "support_worker"
	Weekdays    []time.Weekday
}

// HistoryOptions shapes a generated history. Zero fields take defaults.
type HistoryOptions struct {
	Seed uint64
	Now  time.Time // default time.Now()
	// From and To bound the appointments: by default a year before Now to
	// four weeks after it (the future is booked, the past has outcomes).
	From, To time.Time
	// PerWeek is the appointments a full-time practitioner has in a week
	// (default 40: eight a day of 20–30 minutes, about half of them same-day).
	PerWeek int
}

func (o HistoryOptions) withDefaults() HistoryOptions {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.From.IsZero() {
		o.From = o.Now.AddDate(-1, 0, 0)
	}
	if o.To.IsZero() {
		o.To = o.Now.AddDate(0, 0, 28)
	}
	if o.PerWeek <= 0 {
		o.PerWeek = 40
	}
	return o
}

// GenPatient is one generated person.
type GenPatient struct {
	ID                      uuid.UUID
	NHI                     string
	Family, Given           string
	DateOfBirth             time.Time
	Gender                  string
	Ethnicity               []string
	EthnicGroup             string
	NZDep                   int
	Phone, Email            string
	SMSConsent, EmailConsnt bool
}

// GenAppointment is one generated appointment.
type GenAppointment struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	PatientID      uuid.UUID
	Kind           string // booked, same_day
	Mode           string
	ServiceLine    string
	StartsAt       time.Time
	EndsAt         time.Time
	Status         string // completed, did_not_attend, cancelled, booked
	IntroducedBy   uuid.UUID
	IntroducedAt   time.Time
	CancelledAt    time.Time
	CreatedAt      time.Time
}

// Plan is a generated history, before it is written.
type Plan struct {
	Patients     []GenPatient
	Appointments []GenAppointment
}

// A practitioner's working day: 30-minute slots, the morning kept open for
// same-day introductions, the afternoon booked ahead (DOMAIN.md: a HIP keeps
// about half the day open).
var (
	morning   = [2]int{9 * 60, 12*60 + 30}
	afternoon = [2]int{13 * 60, 16*60 + 30}
)

const slotMinutes = 30

// Generate plans a practice's history: deterministic for a seed, staff and
// options. Appointments of one practitioner never overlap (each sits in its
// own 30-minute slot), so the exclusion constraint accepts them.
func Generate(loc *time.Location, staff Staff, opt HistoryOptions) Plan {
	opt = opt.withDefaults()
	rng := rand.New(rand.NewPCG(opt.Seed, 0x7475686f6e6f)) // "tuhono"
	g := generator{rng: rng, opt: opt, staff: staff}
	slotsPerDay := (morning[1]-morning[0])/slotMinutes + (afternoon[1]-afternoon[0])/slotMinutes
	fill := min(1, float64(opt.PerWeek)/float64(5*slotsPerDay))

	first := time.Date(opt.From.In(loc).Year(), opt.From.In(loc).Month(), opt.From.In(loc).Day(), 0, 0, 0, 0, loc)
	for day := first; day.Before(opt.To); day = day.AddDate(0, 0, 1) {
		for _, p := range staff.Practitioners {
			if !worksOn(p, day.Weekday()) {
				continue
			}
			for _, block := range [][2]int{morning, afternoon} {
				for m := block[0]; m+slotMinutes <= block[1]; m += slotMinutes {
					if g.rng.Float64() >= fill {
						continue
					}
					// Wall-clock time in the practice's zone: right across
					// daylight-saving changes.
					start := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
					if start.Before(opt.From) || !start.Before(opt.To) {
						continue
					}
					g.appointment(p, start, block == morning)
				}
			}
		}
	}
	return Plan{Patients: g.patients, Appointments: g.appts}
}

func worksOn(p Practitioner, d time.Weekday) bool {
	if len(p.Weekdays) == 0 {
		return d >= time.Monday && d <= time.Friday
	}
	for _, w := range p.Weekdays {
		if w == d {
			return true
		}
	}
	return false
}

type generator struct {
	rng      *rand.Rand
	opt      HistoryOptions
	staff    Staff
	patients []GenPatient
	appts    []GenAppointment
	// recent people who may come back: most are seen once or twice.
	recent   []int
	sessions []int
	nhiSeq   int
}

func (g *generator) pick(weights ...float64) int {
	x := g.rng.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// person chooses who is seen: a follow-up of someone seen lately (about a
// third of sessions) or a new person.
func (g *generator) person() int {
	if len(g.recent) > 0 && g.rng.Float64() < 0.32 {
		i := g.recent[g.rng.IntN(len(g.recent))]
		if g.sessions[i] < 6 {
			g.sessions[i]++
			return i
		}
	}
	i := len(g.patients)
	g.patients = append(g.patients, g.newPatient())
	g.sessions = append(g.sessions, 1)
	g.recent = append(g.recent, i)
	if len(g.recent) > 150 {
		g.recent = g.recent[1:]
	}
	return i
}

func (g *generator) appointment(p Practitioner, start time.Time, openBlock bool) {
	pi := g.person()
	minutes := []int{20, 30, 30}[g.rng.IntN(3)]
	a := GenAppointment{PractitionerID: p.ID, PatientID: g.patients[pi].ID, ServiceLine: p.ServiceLine,
		StartsAt: start.UTC(), EndsAt: start.Add(time.Duration(minutes) * time.Minute).UTC(), Kind: "booked"}
	switch p.ServiceLine {
	case "support_worker":
		a.Mode = []string{"community", "in_person", "phone"}[g.pick(0.5, 0.3, 0.2)]
	default:
		a.Mode = []string{"in_person", "phone", "video", "community"}[g.pick(0.72, 0.15, 0.1, 0.03)]
	}
	// The open morning fills with warm handovers; the odd afternoon slot too.
	sameDay := p.ServiceLine != "support_worker" && len(g.staff.Introducers) > 0 &&
		((openBlock && g.rng.Float64() < 0.92) || (!openBlock && g.rng.Float64() < 0.08))
	if sameDay {
		a.Kind = "same_day"
		a.IntroducedBy = g.staff.Introducers[g.rng.IntN(len(g.staff.Introducers))]
		a.IntroducedAt = a.StartsAt.Add(-time.Duration(5+g.rng.IntN(85)) * time.Minute)
		a.CreatedAt = a.IntroducedAt.Add(time.Minute)
	} else {
		a.CreatedAt = a.StartsAt.Add(-time.Duration(1+g.rng.IntN(14*24)) * time.Hour)
	}
	past := a.StartsAt.Before(g.opt.Now)
	switch {
	case past && !sameDay:
		a.Status = []string{"completed", "did_not_attend", "cancelled"}[g.pick(0.83, 0.11, 0.06)]
	case past:
		a.Status = []string{"completed", "did_not_attend"}[g.pick(0.93, 0.07)]
	default:
		a.Status = []string{"booked", "cancelled"}[g.pick(0.96, 0.04)]
	}
	if a.CreatedAt.After(g.opt.Now) {
		a.CreatedAt = g.opt.Now
	}
	if a.Status == "cancelled" {
		a.CancelledAt = a.StartsAt.Add(-time.Duration(1+g.rng.IntN(48)) * time.Hour)
		if a.CancelledAt.Before(a.CreatedAt) || a.CancelledAt.After(g.opt.Now) {
			a.CancelledAt = a.CreatedAt
		}
	}
	a.ID = g.uuidAt(a.CreatedAt)
	g.appts = append(g.appts, a)
}

// uuidAt is a UUIDv7 for t whose random bits come from the seeded source,
// so a seed always makes the same ids.
func (g *generator) uuidAt(t time.Time) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	r1, r2 := g.rng.Uint64(), g.rng.Uint64()
	for i := 6; i < 16; i++ {
		if i < 11 {
			u[i] = byte(r1 >> (8 * (i - 6)))
		} else {
			u[i] = byte(r2 >> (8 * (i - 11)))
		}
	}
	u[6] = (u[6] & 0x0f) | 0x70 // version 7
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 9562 variant
	return u
}

// Invented names in a plausible mix for Aotearoa; none is a real person.
var (
	maoriGiven    = []string{"Aroha", "Mereana", "Tamati", "Wiremu", "Hēmi", "Ngaio", "Kiri", "Rāwiri", "Tama", "Anahera", "Māka", "Hinewai", "Manaia", "Tūī", "Kahurangi"}
	maoriFamily   = []string{"Ngata", "Parata", "Tāwhiri", "Walker", "Te Whata", "Kereama", "Rāwiri", "Tipene", "Hōhaia", "Wihongi", "Paewai", "Te Rangi"}
	pacificGiven  = []string{"Sione", "Mele", "Losa", "Tevita", "Salote", "Ioane", "Sina", "Malia", "Filipo", "Ana", "Sefo", "Lupe"}
	pacificFamily = []string{"Tupou", "Fonoti", "Faleolo", "Taufa", "Leota", "Vaifale", "Fifita", "Mataele", "Tuilagi", "Ikiua"}
	asianGiven    = []string{"Wei", "Priya", "Arjun", "Mei", "Ravi", "Jia", "Anjali", "Hiroshi", "Min-jun", "Thi"}
	asianFamily   = []string{"Chen", "Patel", "Singh", "Wang", "Kumar", "Li", "Nguyen", "Kim", "Sharma", "Zhang"}
	euroGiven     = []string{"Olivia", "Jack", "Charlotte", "Oliver", "Isla", "Noah", "Amelia", "Liam", "Sophie", "James", "Ruby", "George", "Emma", "Harry"}
	euroFamily    = []string{"Smith", "Williams", "Brown", "Wilson", "Taylor", "Jones", "Thompson", "Anderson", "Campbell", "Robinson", "Stewart", "MacDonald"}
	melaaGiven    = []string{"Omar", "Layla", "Sofía", "Mateo", "Amina", "Yusuf"}
	melaaFamily   = []string{"Haddad", "García", "Mensah", "Rahimi", "Okafor", "Silva"}
)

// Ethnicity mix of people seen (DOMAIN.md: Māori about 27% of users), as
// HISO 10001 level 2 codes; some people record two.
var ethnicMix = []struct {
	share         float64
	codes         []string
	given, family []string
}{
	{0.27, []string{"21"}, maoriGiven, maoriFamily},
	{0.10, []string{"31", "33", "32", "34"}, pacificGiven, pacificFamily},
	{0.12, []string{"42", "43", "41", "44"}, asianGiven, asianFamily},
	{0.02, []string{"51", "52", "53"}, melaaGiven, melaaFamily},
	{0.48, []string{"11", "12"}, euroGiven, euroFamily},
	{0.01, []string{"61"}, euroGiven, euroFamily},
}

func (g *generator) newPatient() GenPatient {
	x, k := g.rng.Float64(), len(ethnicMix)-1
	for i, e := range ethnicMix {
		if x < e.share {
			k = i
			break
		}
		x -= e.share
	}
	e := ethnicMix[k]
	codes := []string{e.codes[g.rng.IntN(len(e.codes))]}
	if k != 4 && g.rng.Float64() < 0.25 {
		codes = append(codes, "11") // many Māori, Pacific and Asian people also record NZ European
	}
	// Ages: youth 12–24 about a fifth (DOMAIN.md), the rest up to 85.
	age := 25 + g.rng.IntN(61)
	if g.rng.Float64() < 0.2 {
		age = 12 + g.rng.IntN(13)
	}
	dob := g.opt.Now.AddDate(-age, 0, -g.rng.IntN(365))
	p := GenPatient{
		NHI: g.nextNHI(), Given: e.given[g.rng.IntN(len(e.given))], Family: e.family[g.rng.IntN(len(e.family))],
		DateOfBirth: time.Date(dob.Year(), dob.Month(), dob.Day(), 0, 0, 0, 0, time.UTC),
		Gender:      []string{"female", "male", "another", "unknown"}[g.pick(0.55, 0.42, 0.02)],
		Ethnicity:   codes, EthnicGroup: patient.PrioritisedGroup(codes),
		NZDep: 1 + g.pick(0.15, 0.17, 0.2, 0.22),
	}
	if g.rng.Float64() < 0.85 {
		p.Phone = fmt.Sprintf("02%d %03d %04d", 1+g.rng.IntN(9), g.rng.IntN(1000), g.rng.IntN(10000))
		p.SMSConsent = g.rng.Float64() < 0.8
	}
	if g.rng.Float64() < 0.6 {
		p.Email = strings.ToLower(fold(p.Given)+"."+strings.ReplaceAll(fold(p.Family), " ", "")) +
			fmt.Sprintf("%d@example.nz", g.rng.IntN(1000))
		p.EmailConsnt = g.rng.Float64() < 0.6
	}
	p.ID = g.uuidAt(g.opt.From)
	return p
}

const nhiLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// nextNHI is the next test-range NHI (starting with Z, reserved for testing
// by HISO 10046) in the old format AAANNNC, skipping sums that have no check
// digit. Sequential, so unique within a practice.
func (g *generator) nextNHI() string {
	for {
		n := g.nhiSeq
		g.nhiSeq++
		b := []byte{'Z', nhiLetters[(n/1000/24)%24], nhiLetters[(n/1000)%24],
			byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)}
		sum := 24 * 7
		for i := 1; i < 3; i++ {
			sum += (strings.IndexByte(nhiLetters, b[i]) + 1) * (7 - i)
		}
		for i := 3; i < 6; i++ {
			sum += int(b[i]-'0') * (7 - i)
		}
		r := sum % 11
		if r == 0 {
			continue
		}
		return string(append(b, byte('0'+(11-r)%10)))
	}
}

// fold lowers and strips diacritics, as patients.name_search keeps names.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '-':
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}
