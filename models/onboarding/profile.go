package onboarding

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Weekdays are the keys of OpeningHours, Monday first as a practice reads
// its week.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Hours is one day's opening: wall-clock "HH:MM" times in the tenant's time
// zone, so 08:00 stays 08:00 across daylight saving.
type Hours struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// Profile is how a practice runs day to day: when it is open, its rooms, and
// its appointment reminders.
type Profile struct {
	// OpeningHours by weekday key; a day that is absent is closed.
	OpeningHours  map[string]Hours
	Rooms         []string
	ReminderHours int // how long before an appointment its reminder goes out
	ReminderSMS   bool
	ReminderEmail bool
}

// DefaultProfile is what a practice has until it saves its own: closed
// every day until it says otherwise, reminders a day ahead by both channels.
var DefaultProfile = Profile{OpeningHours: map[string]Hours{}, Rooms: []string{}, ReminderHours: 24, ReminderSMS: true, ReminderEmail: true}

const (
	maxRooms    = 50
	maxRoomName = 60
)

// clock parses "HH:MM" (24-hour) into minutes after midnight.
func clock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// Validate checks the profile, normalising room names (trimmed, NFC), and
// reports every bad field at once. Field names: hours_<day>, rooms,
// reminder_hours. Both reminder channels off is allowed: reminders are the
// practice's choice.
func (p *Profile) Validate() error {
	var f fault.Fields
	for day, h := range p.OpeningHours {
		if !slices.Contains(Weekdays, day) {
			f.Add("opening_hours", "unknown weekday "+day)
			continue
		}
		open, ok1 := clock(h.Open)
		close, ok2 := clock(h.Close)
		switch {
		case !ok1 || !ok2:
			f.Add("hours_"+day, "enter opening and closing times as HH:MM, or mark the day closed")
		case close <= open:
			f.Add("hours_"+day, "closing time must be after opening time")
		}
	}
	rooms := make([]string, 0, len(p.Rooms))
	for _, r := range p.Rooms {
		r = cleanText(r)
		if r == "" {
			continue
		}
		if !utf8.ValidString(r) || strings.ContainsRune(r, 0) || utf8.RuneCountInString(r) > maxRoomName {
			f.Add("rooms", fmt.Sprintf("each room name must be text of at most %d characters", maxRoomName))
			break
		}
		if slices.Contains(rooms, r) {
			f.Add("rooms", "room "+r+" is listed twice")
			break
		}
		rooms = append(rooms, r)
	}
	if len(rooms) > maxRooms {
		f.Add("rooms", fmt.Sprintf("at most %d rooms", maxRooms))
	}
	p.Rooms = rooms
	if p.ReminderHours < 1 || p.ReminderHours > 168 {
		f.Add("reminder_hours", "choose from 1 to 168 hours (a week)")
	}
	return f.Err()
}

type profileRow struct {
	TenantID      uuid.UUID
	OpeningHours  string         `gorm:"type:jsonb"`
	Rooms         pq.StringArray `gorm:"type:text[]"`
	ReminderHours int
	ReminderSMS   bool `gorm:"column:reminder_sms"`
	ReminderEmail bool
	UpdatedAt     time.Time
}

func (profileRow) TableName() string { return "practice_profile" }

func (r profileRow) profile() (Profile, error) {
	p := Profile{OpeningHours: map[string]Hours{}, Rooms: []string(r.Rooms), ReminderHours: r.ReminderHours,
		ReminderSMS: r.ReminderSMS, ReminderEmail: r.ReminderEmail}
	if p.Rooms == nil {
		p.Rooms = []string{}
	}
	if err := json.Unmarshal([]byte(r.OpeningHours), &p.OpeningHours); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// GetProfile reads the profile of the tenant in ctx (the default until it has
// saved one). One statement.
func GetProfile(ctx context.Context, d *db.DB) (Profile, error) {
	var rows []profileRow
	if err := d.ReadInTenant(ctx, func(tx *db.Tx) error { return tx.Limit(1).Find(&rows).Error }); err != nil {
		return Profile{}, fmt.Errorf("onboarding.GetProfile: %w", err)
	}
	if len(rows) == 0 {
		return DefaultProfile, nil
	}
	p, err := rows[0].profile()
	if err != nil {
		return Profile{}, fmt.Errorf("onboarding.GetProfile: %w", err)
	}
	return p, nil
}

// SaveProfile validates and stores the profile of the tenant in ctx, and
// records the change with the values before and after.
func SaveProfile(ctx context.Context, d *db.DB, actor uuid.UUID, p Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("onboarding.SaveProfile: %w", err)
	}
	if p.OpeningHours == nil {
		p.OpeningHours = map[string]Hours{}
	}
	hours, err := json.Marshal(p.OpeningHours)
	if err != nil {
		return fmt.Errorf("onboarding.SaveProfile: %w", err)
	}
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		before := DefaultProfile
		var rows []profileRow
		if err := tx.Raw(`SELECT * FROM practice_profile FOR UPDATE`).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			if before, err = rows[0].profile(); err != nil {
				return err
			}
		}
		if err := tx.Exec(`INSERT INTO practice_profile (tenant_id, opening_hours, rooms, reminder_hours, reminder_sms, reminder_email, updated_at)
				VALUES (?, ?::jsonb, ?, ?, ?, ?, now())
			ON CONFLICT (tenant_id) DO UPDATE SET opening_hours = EXCLUDED.opening_hours, rooms = EXCLUDED.rooms,
				reminder_hours = EXCLUDED.reminder_hours, reminder_sms = EXCLUDED.reminder_sms,
				reminder_email = EXCLUDED.reminder_email, updated_at = now()`,
			tx.Tenant.ID, string(hours), pq.StringArray(p.Rooms), p.ReminderHours, p.ReminderSMS, p.ReminderEmail).Error; err != nil {
			return err
		}
		detail := map[string]string{}
		diff(detail, "opening_hours", before.hoursText(), p.hoursText())
		diff(detail, "rooms", strings.Join(before.Rooms, ", "), strings.Join(p.Rooms, ", "))
		diff(detail, "reminder_hours", strconv.Itoa(before.ReminderHours), strconv.Itoa(p.ReminderHours))
		diff(detail, "reminder_sms", strconv.FormatBool(before.ReminderSMS), strconv.FormatBool(p.ReminderSMS))
		diff(detail, "reminder_email", strconv.FormatBool(before.ReminderEmail), strconv.FormatBool(p.ReminderEmail))
		return audit.Record(tx, audit.Event{Action: "tenant.profile", ActorUserID: actor, Object: "tenant",
			ObjectID: tx.Tenant.ID.String(), Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("onboarding.SaveProfile: %w", err)
	}
	return nil
}

// diff records a changed value as before.<name> and after.<name>, each cut to
// what an audit detail holds (a long room list is recorded by its start).
func diff(detail map[string]string, name, before, after string) {
	cut := func(s string) string {
		if r := []rune(s); len(r) > 500 {
			return string(r[:499]) + "…"
		}
		return s
	}
	before, after = cut(before), cut(after)
	if before != after {
		detail["before."+name] = before
		detail["after."+name] = after
	}
}

// hoursText is the week as one line: "mon 08:00–17:00; tue closed; …".
func (p Profile) hoursText() string {
	parts := make([]string, len(Weekdays))
	for i, d := range Weekdays {
		if h, ok := p.OpeningHours[d]; ok {
			parts[i] = d + " " + h.Open + "–" + h.Close
		} else {
			parts[i] = d + " closed"
		}
	}
	return strings.Join(parts, "; ")
}
