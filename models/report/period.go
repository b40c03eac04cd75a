package report

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/tuhono/tuhono/models/fault"
)

// Period is a reporting period of whole local days: a calendar month
// ("2026-07") or a New Zealand fiscal quarter ("FY2027-Q1"). The fiscal year
// runs 1 July – 30 June and is named by the year it ends in, so FY2027-Q1 is
// July–September 2026 (DOMAIN.md; the enrolment import uses the same labels).
//
// Start and End are dates at midnight UTC standing for local days: a session
// belongs to the period when its local date (in its practice's zone) is on or
// after Start and before End.
type Period struct {
	Label string
	Start time.Time
	End   time.Time // exclusive
}

// Frequencies a contract reports at.
const (
	Monthly   = "monthly"
	Quarterly = "quarterly"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Month is the calendar month of year y.
func Month(y int, m time.Month) Period {
	s := date(y, m, 1)
	return Period{Label: s.Format("2006-01"), Start: s, End: s.AddDate(0, 1, 0)}
}

// FiscalQuarter is quarter q (1–4) of the fiscal year ending in June of fy.
func FiscalQuarter(fy, q int) Period {
	s := date(fy-1, time.July, 1).AddDate(0, 3*(q-1), 0)
	return Period{Label: fmt.Sprintf("FY%d-Q%d", fy, q), Start: s, End: s.AddDate(0, 3, 0)}
}

// QuarterOf is the fiscal quarter holding local date d.
func QuarterOf(d time.Time) Period {
	fy, q := d.Year(), 0
	if d.Month() >= time.July {
		fy++
		q = int(d.Month()-time.July)/3 + 1
	} else {
		q = int(d.Month()-time.January)/3 + 3
	}
	return FiscalQuarter(fy, q)
}

// MonthOf is the calendar month holding local date d.
func MonthOf(d time.Time) Period { return Month(d.Year(), d.Month()) }

// IsQuarter reports whether p is a fiscal quarter (else a month).
func (p Period) IsQuarter() bool { return len(p.Label) == 9 && p.Label[0] == 'F' }

// Quarter is the fiscal quarter holding p (p itself if it is one).
func (p Period) Quarter() Period { return QuarterOf(p.Start) }

// Months are the calendar months of p, in order.
func (p Period) Months() []Period {
	var out []Period
	for s := p.Start; s.Before(p.End); s = s.AddDate(0, 1, 0) {
		out = append(out, MonthOf(s))
	}
	return out
}

// Last is the period's last local day.
func (p Period) Last() time.Time { return p.End.AddDate(0, 0, -1) }

// Title is the period for people: "July 2026", "FY2027 Q1 (Jul–Sep 2026)".
func (p Period) Title() string {
	if p.IsQuarter() {
		return fmt.Sprintf("%s Q%s (%s–%s)", p.Label[:6], p.Label[8:], p.Start.Format("Jan"), p.Last().Format("Jan 2006"))
	}
	return p.Start.Format("January 2006")
}

var (
	monthLabel   = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`)
	quarterLabel = regexp.MustCompile(`^FY([0-9]{4})-Q([1-4])$`)
)

// ParsePeriod reads a period label: "2026-07" or "FY2027-Q1".
func ParsePeriod(s string) (Period, error) {
	if m := monthLabel.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if y >= 2000 && y <= 2100 && mo >= 1 && mo <= 12 {
			return Month(y, time.Month(mo)), nil
		}
	}
	if m := quarterLabel.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		if y >= 2000 && y <= 2100 {
			return FiscalQuarter(y, q), nil
		}
	}
	return Period{}, fmt.Errorf("report.ParsePeriod: %w",
		fault.InvalidField("period", "a period is a month (2026-07) or a fiscal quarter (FY2027-Q1)"))
}

// Periods are the reporting periods of a contract from start to end (local
// dates, end inclusive) at a frequency: every month or fiscal quarter that
// overlaps them.
func Periods(start, end time.Time, frequency string) []Period {
	var out []Period
	p := MonthOf(start)
	if frequency == Quarterly {
		p = QuarterOf(start)
	}
	for !p.Start.After(end) {
		out = append(out, p)
		if frequency == Quarterly {
			p = QuarterOf(p.End)
		} else {
			p = MonthOf(p.End)
		}
	}
	return out
}
