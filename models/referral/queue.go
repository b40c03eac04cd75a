package referral

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
)

// Item is one open referral in the Support Workers' queue, with what it needs
// now. Flags are worked out against the practice's calendar days: contact is
// due by the end of DueBy in the practice's zone.
type Item struct {
	Referral
	// DueToday: not yet contacted, and today is the last day of the target.
	DueToday bool
	// Overdue: not yet contacted, and the last day has passed.
	Overdue bool
	// Contacted: first contact made; WithinTarget says whether it was made
	// by the end of the due day.
	Contacted    bool
	WithinTarget bool
	// ReviewDue: the episode has been open longer than three months.
	ReviewDue bool
}

// Flag works out an item's flags at now in loc.
func Flag(r Referral, now time.Time, loc *time.Location) Item {
	it := Item{Referral: r}
	today := localDay(now, loc)
	if r.FirstContactAt.IsZero() {
		it.Overdue = today.After(r.DueBy)
		it.DueToday = today.Equal(r.DueBy)
	} else {
		it.Contacted = true
		it.WithinTarget = !localDay(r.FirstContactAt, loc).After(r.DueBy)
	}
	// Three calendar months from the referral day, in the practice's zone.
	it.ReviewDue = r.Open() && !now.Before(r.ReferredAt.In(loc).AddDate(0, ReviewAfterMonths, 0))
	return it
}

// Queue lists the open referrals of the tenant in ctx for the Support
// Workers: overdue first (oldest due day first), then due today, then the
// rest by due day, then by referral time. The list names people, so its
// read is audited (one event with the count, as a patient search is).
func Queue(ctx context.Context, d *db.DB, now time.Time) ([]Item, error) {
	var rows []row
	var loc *time.Location
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		loc = tx.Tenant.Location()
		if err := tx.Raw(`SELECT ` + columns + from + ` WHERE r.status <> 'closed' ORDER BY r.due_by, r.referred_at`).
			Scan(&rows).Error; err != nil {
			return err
		}
		e := event(ctx, audit.ActionRecordRead, uuid.Nil, Referral{}, "Support Worker referral queue")
		e.ObjectID, e.Detail = "", map[string]string{"kind": "queue", "count": strconv.Itoa(len(rows))}
		return audit.Record(tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("referral.Queue: %w", err)
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		items[i] = Flag(r.referral(), now, loc)
	}
	sort.SliceStable(items, func(i, j int) bool { return rank(items[i]) < rank(items[j]) })
	return items, nil
}

// rank orders the queue: overdue, due today, awaiting contact, contacted.
func rank(it Item) int {
	switch {
	case it.Overdue:
		return 0
	case it.DueToday:
		return 1
	case !it.Contacted:
		return 2
	}
	return 3
}
