package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// ChangeRoles replaces the roles of a live member of the tenant in ctx and
// records the roles before and after. The policy engine is told at once and
// every request checks the membership and its roles afresh, so the change
// holds from the person's next request: a HIP made a nurse loses the HIP's
// work at once.
//
// An administrator cannot change their own roles (that is how a practice
// ends up with nobody to run it), and the last administrator cannot lose the
// administrator role.
func (s *Service) ChangeRoles(ctx context.Context, actor, userID uuid.UUID, roles []string) error {
	roles, err := CheckRoles(roles)
	if err != nil {
		return fmt.Errorf("account.ChangeRoles: %w", err)
	}
	if actor == userID && actor != uuid.Nil {
		return fmt.Errorf("account.ChangeRoles: %w",
			fault.New(fault.KindConflict, "you cannot change your own roles: ask another administrator", nil))
	}
	changed := false
	err = s.db.InTenant(ctx, func(tx *db.Tx) error {
		var r membershipRow
		if err := tx.Raw(`SELECT * FROM memberships WHERE user_id = ? FOR UPDATE`, userID).Take(&r).Error; err != nil {
			return err
		}
		if r.Status != "active" {
			return fault.New(fault.KindConflict, "only an active membership's roles can be changed", nil)
		}
		before := slices.Sorted(slices.Values([]string(r.Roles)))
		if slices.Equal(before, roles) {
			return nil
		}
		isAdmin := func(rs []string) bool {
			return slices.Contains(rs, "practice_admin") || slices.Contains(rs, "pho_admin")
		}
		if isAdmin(before) && !isAdmin(roles) {
			var others int64
			if err := tx.Raw(`SELECT count(*) FROM memberships WHERE status = 'active' AND user_id <> ?
				AND (roles && ARRAY['practice_admin', 'pho_admin']::text[])`, userID).Scan(&others).Error; err != nil {
				return err
			}
			if others == 0 {
				return fault.New(fault.KindConflict, "this is the last administrator here: make someone else an administrator first", nil)
			}
		}
		if err := tx.Exec(`UPDATE memberships SET roles = ?, updated_at = ? WHERE user_id = ?`,
			pq.StringArray(roles), s.now(), userID).Error; err != nil {
			return err
		}
		// API tokens carry a subset of the roles they were made with; a
		// token holding a role the person no longer has would outlive the
		// change, so those are revoked with it.
		if err := tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL
			AND NOT (roles <@ ?::text[])`, s.now(), userID, pq.StringArray(roles)).Error; err != nil {
			return err
		}
		changed = true
		return audit.Record(tx, audit.Event{Action: "membership.roles", ActorUserID: actor, SubjectUserID: userID,
			Object: "staff", ObjectID: userID.String(),
			Detail: map[string]string{"before.roles": strings.Join(before, ","), "after.roles": strings.Join(roles, ",")}})
	})
	if err != nil {
		return fmt.Errorf("account.ChangeRoles: %w", err)
	}
	if !changed {
		return nil
	}
	if err := s.mirror(ctx, userID, roles); err != nil {
		return fmt.Errorf("account.ChangeRoles: %w", err)
	}
	return nil
}

// Names returns the names of people by id, for pages that show who did what
// (the activity view): one platform read, whatever the number of people. An
// id that names no one is simply absent.
func (s *Service) Names(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var us []userRow
	err := s.db.Platform(ctx, "activity view: names of people", func(tx *db.Tx) error {
		return tx.Where("id IN ?", ids).Find(&us).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.Names: %w", err)
	}
	for _, u := range us {
		out[u.ID] = u.user().Name
	}
	return out, nil
}
