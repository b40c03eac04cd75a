package bulk

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/tenants"
)

type staffRow struct {
	line     int
	email    string
	name     string
	practice string
	roles    []string
	fte      int // hundredths; -1: none given
}

// fte is 0–1 with at most two decimals: 1, 0.8, .75, 0.50.
var ftePattern = regexp.MustCompile(`^(?:[01](?:\.[0-9]{0,2})?|\.[0-9]{1,2})$`)

func parseFTE(s string) (int, bool) {
	if s == "" {
		return -1, true
	}
	if !ftePattern.MatchString(s) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	v := int(frac[0]-'0')*10 + int(frac[1]-'0')
	if whole == "1" {
		v += 100
	}
	return v, v <= 100
}

func (im *Importer) staff(ctx context.Context, region tenants.Region, r io.Reader) (Result, error) {
	res := Result{Kind: Staff}
	var p problems
	var rows []staffRow
	first := map[[2]string]int{}
	err := read(r, Staff, &res, &p, func(t *table) {
		row := staffRow{line: t.line, practice: t.get("practice_slug")}
		good := true
		email, err := account.NormaliseEmail(t.get("email"))
		if err != nil {
			p.add(t.line, "email", "is not one e-mail address, like name@example.co.nz")
			good = false
		}
		row.email = email
		if n := t.get("name"); n != "" {
			if row.name, err = account.CleanName(n); err != nil {
				p.add(t.line, "name", "must be 1–200 characters")
				good = false
			}
		}
		if !tenants.ValidSlug(row.practice) {
			p.add(t.line, "practice_slug", "is not a practice slug")
			good = false
		}
		fields := strings.FieldsFunc(strings.ToLower(t.get("roles")), func(r rune) bool { return r == ' ' || r == ';' || r == ',' })
		if row.roles, err = account.CheckRoles(fields); err != nil {
			p.add(t.line, "roles", "use one or more of "+strings.Join(account.TenantRoles, ", ")+", separated by spaces or semicolons")
			good = false
		}
		var ok bool
		if row.fte, ok = parseFTE(t.get("fte")); !ok {
			p.add(t.line, "fte", "must be a number from 0 to 1 with at most two decimals, like 0.8")
			good = false
		}
		key := [2]string{row.practice, row.email}
		if prev, dup := first[key]; dup && good {
			p.add(t.line, "email", fmt.Sprintf("the same person at the same practice as line %d", prev))
			good = false
		} else if good {
			first[key] = t.line
		}
		if good {
			rows = append(rows, row)
		}
	})
	if err != nil {
		return res, err
	}
	known, err := regionTenants(ctx, im.DB, region)
	if err != nil {
		return res, err
	}
	byPractice := map[string][]staffRow{}
	for _, row := range rows {
		t, ok := known[row.practice]
		switch {
		case !ok || t.Kind != tenants.KindPractice:
			p.add(row.line, "practice_slug", "no practice "+row.practice+" in this region")
		case !t.Live():
			p.add(row.line, "practice_slug", row.practice+" is "+string(t.Status)+": it cannot invite anyone until it is active again")
		default:
			byPractice[row.practice] = append(byPractice[row.practice], row)
		}
	}
	finish(&res, &p)
	if !res.OK() {
		return res, nil
	}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(im.workers())
	for _, slug := range sortedKeys(byPractice) {
		t, rows := known[slug], byPractice[slug]
		g.Go(func() error {
			out, err := im.staffAt(tenants.WithTenant(gctx, t.Tenant), rows)
			mu.Lock()
			defer mu.Unlock()
			res.Changed += out.Changed
			res.Unchanged += out.Unchanged
			res.Invited += out.Invited
			for _, n := range out.Notes {
				if len(res.Notes) < MaxProblems {
					res.Notes = append(res.Notes, n)
				}
			}
			return err
		})
	}
	return res, g.Wait()
}

// staffAt writes one practice's rows: FTEs in one transaction, then an
// invitation for each person who is neither a member nor invited already.
// FTE first and each invitation in its own transaction (account.Invite's) is
// what makes a re-run after a crash finish the job: the pending invitations
// it finds are the ones already sent.
func (im *Importer) staffAt(ctx context.Context, rows []staffRow) (Result, error) {
	var res Result
	members, err := im.Accounts.Staff(ctx)
	if err != nil {
		return res, err
	}
	pending, err := im.Accounts.Invitations(ctx)
	if err != nil {
		return res, err
	}
	member := map[string]account.Membership{}
	for _, m := range members {
		member[m.User.Email] = m
	}
	invited := map[string]bool{}
	for _, inv := range pending {
		invited[inv.Email] = true
	}
	changed := make([]bool, len(rows))
	err = im.DB.InTenant(ctx, func(tx *db.Tx) error {
		for i, row := range rows {
			if row.fte < 0 {
				continue
			}
			q := tx.Exec(`INSERT INTO staff_fte (tenant_id, email, fte) VALUES (?, ?, ?::numeric / 100)
				ON CONFLICT (tenant_id, email) DO UPDATE SET fte = EXCLUDED.fte, updated_at = now()
				WHERE staff_fte.fte <> EXCLUDED.fte`, tx.Tenant.ID, row.email, row.fte)
			if q.Error != nil {
				return q.Error
			}
			changed[i] = q.RowsAffected > 0
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	actor, _ := tenants.ActorFrom(ctx)
	for i, row := range rows {
		m, isMember := member[row.email]
		switch {
		case isMember:
			if m.Status != "active" || !slices.Equal(m.Roles, row.roles) {
				res.Notes = append(res.Notes, Problem{Line: row.line, Column: "roles", Reason: fmt.Sprintf(
					"%s is already a member (%s, roles %s): change roles or status on the practice's staff page",
					row.email, m.Status, strings.Join(m.Roles, " "))})
			}
		case invited[row.email]:
			// Already invited: the invitation is not sent again.
		default:
			if _, _, err := im.Accounts.Invite(ctx, actor.UserID, row.email, row.name, row.roles); err != nil {
				return res, err
			}
			invited[row.email] = true
			res.Invited++
			changed[i] = true
		}
		if changed[i] {
			res.Changed++
		} else {
			res.Unchanged++
		}
	}
	return res, nil
}

func (im *Importer) workers() int {
	if im.Workers > 0 {
		return im.Workers
	}
	return 4
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
