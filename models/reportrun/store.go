package reportrun

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Publish makes a run in review available to its contract's funder, with
// actor recorded as its reviewer. A run already published or withdrawn is a
// conflict: publication is never undone except by withdrawing.
func Publish(ctx context.Context, d *db.DB, actor, runID uuid.UUID) error {
	if err := move(ctx, d, "publish report run", runID, func(status string) error {
		if status != StatusReview {
			return fault.New(fault.KindConflict, "only a run in review can be published; this one is "+status, nil)
		}
		return nil
	}, `UPDATE report_runs SET status = 'published', reviewed_by = ?, published_at = now() WHERE id = ?`, reviewer(actor), runID); err != nil {
		return fmt.Errorf("reportrun.Publish: %w", err)
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "report_run.publish", ActorUserID: actor,
		Object: "report_run", ObjectID: runID.String()}); err != nil {
		return fmt.Errorf("reportrun.Publish: %w", err)
	}
	return nil
}

// Withdraw takes a run in review or published out of use: the funder no
// longer sees it. It stays stored, as every run does.
func Withdraw(ctx context.Context, d *db.DB, actor, runID uuid.UUID) error {
	if err := move(ctx, d, "withdraw report run", runID, func(status string) error {
		if status == StatusWithdrawn {
			return fault.New(fault.KindConflict, "the run is already withdrawn", nil)
		}
		return nil
	}, `UPDATE report_runs SET status = 'withdrawn', withdrawn_at = now() WHERE id = ?`, runID); err != nil {
		return fmt.Errorf("reportrun.Withdraw: %w", err)
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "report_run.withdraw", ActorUserID: actor,
		Object: "report_run", ObjectID: runID.String()}); err != nil {
		return fmt.Errorf("reportrun.Withdraw: %w", err)
	}
	return nil
}

func reviewer(actor uuid.UUID) *uuid.UUID {
	if actor == uuid.Nil {
		return nil
	}
	return &actor
}

// move changes a run's status under a row lock, after check has accepted
// its current status: two reviewers pressing publish at once get one
// publication and one conflict.
func move(ctx context.Context, d *db.DB, purpose string, runID uuid.UUID, check func(status string) error, update string, args ...any) error {
	err := d.Platform(ctx, purpose, func(tx *db.Tx) error {
		var status []string
		if err := tx.Raw(`SELECT status FROM report_runs WHERE id = ? FOR UPDATE`, runID).Scan(&status).Error; err != nil {
			return err
		}
		if len(status) == 0 {
			return fault.NotFound
		}
		if err := check(status[0]); err != nil {
			return err
		}
		return tx.Exec(update, args...).Error
	})
	return db.Translate(err)
}

const selectRuns = `SELECT r.id, r.contract_id, r.period, r.version, r.as_of, r.input_sha256, r.generated_by,
	r.generated_at, r.status, r.published_at, r.withdrawn_at FROM report_runs r`

// load reads the runs matching where, in the order given, with their
// downloadable files (no bodies).
func load(tx *db.Tx, where, order string, args ...any) ([]Run, error) {
	var rows []runRow
	if err := tx.Raw(selectRuns+" WHERE "+where+" ORDER BY "+order, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	out := make([]Run, len(rows))
	at := make(map[uuid.UUID]int, len(rows))
	for i, r := range rows {
		ids[i], out[i], at[r.ID] = r.ID.String(), r.run(), i
	}
	var files []fileRow
	if err := tx.Raw(`SELECT run_id, format, filename, content_type, size, sha256 FROM report_files
		WHERE run_id = ANY (?::uuid[]) AND format = ANY (?)`, pq.Array(ids), pq.Array(Formats)).Scan(&files).Error; err != nil {
		return nil, err
	}
	for _, f := range files {
		r := &out[at[f.RunID]]
		r.Files = append(r.Files, File{Format: f.Format, Filename: f.Filename, ContentType: f.ContentType, SHA256: f.SHA256, Size: f.Size})
	}
	for i := range out {
		slices.SortFunc(out[i].Files, func(a, b File) int { return slices.Index(Formats, a.Format) - slices.Index(Formats, b.Format) })
	}
	return out, nil
}

// ByID finds a run with its files; fault.NotFound when there is none.
func ByID(ctx context.Context, d *db.DB, id uuid.UUID) (Run, error) {
	var list []Run
	err := d.Platform(ctx, "read report run", func(tx *db.Tx) (err error) {
		list, err = load(tx, "r.id = ?", "r.id", id)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.ByID: %w", db.Translate(err))
	}
	if len(list) == 0 {
		return Run{}, fmt.Errorf("reportrun.ByID: %w", fault.NotFound)
	}
	return list[0], nil
}

// ForContract lists a contract's runs, newest first: latest period first,
// and within a period the newest version first.
func ForContract(ctx context.Context, d *db.DB, contractID uuid.UUID) ([]Run, error) {
	var list []Run
	err := d.Platform(ctx, "list a contract's report runs", func(tx *db.Tx) (err error) {
		list, err = load(tx, "r.contract_id = ?", "r.period DESC, r.version DESC", contractID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reportrun.ForContract: %w", db.Translate(err))
	}
	return list, nil
}

// Published lists the published runs of the funder's contracts, by
// contract, latest period first, newest version first. Runs in review or
// withdrawn, and other funders' runs, are never listed.
func Published(ctx context.Context, d *db.DB, funderID uuid.UUID) ([]Run, error) {
	var list []Run
	err := d.Platform(ctx, "list a funder's published report runs", func(tx *db.Tx) (err error) {
		list, err = load(tx, "r.status = 'published' AND r.contract_id IN (SELECT id FROM contracts WHERE funder_id = ?)",
			"r.contract_id, r.period DESC, r.version DESC", funderID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reportrun.Published: %w", db.Translate(err))
	}
	return list, nil
}

// Get reads one downloadable file of a run with its body; fault.NotFound
// when the run has no such file. The input file is not downloadable and is
// not found here.
func Get(ctx context.Context, d *db.DB, runID uuid.UUID, format string) (File, error) {
	if !slices.Contains(Formats, format) {
		return File{}, fmt.Errorf("reportrun.Get: %w", fault.NotFound)
	}
	f, err := body(ctx, d, runID, format)
	if err != nil {
		return File{}, fmt.Errorf("reportrun.Get: %w", err)
	}
	return f, nil
}

// body reads any stored file of a run, the input file included.
func body(ctx context.Context, d *db.DB, runID uuid.UUID, format string) (File, error) {
	var rows []fileRow
	err := d.Platform(ctx, "read report file", func(tx *db.Tx) error {
		return tx.Raw(`SELECT run_id, format, filename, content_type, size, sha256, body FROM report_files
			WHERE run_id = ? AND format = ?`, runID, format).Scan(&rows).Error
	})
	if err != nil {
		return File{}, db.Translate(err)
	}
	if len(rows) == 0 {
		return File{}, fault.NotFound
	}
	r := rows[0]
	return File{Format: r.Format, Filename: r.Filename, ContentType: r.ContentType, SHA256: r.SHA256, Size: r.Size, Body: r.Body}, nil
}
