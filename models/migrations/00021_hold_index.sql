-- +goose Up
-- Holds are few and short-lived; every booking releases the expired ones of
-- its practitioner and time first (models/booking). This small partial index
-- answers that without walking the practitioner's live appointments in the
-- exclusion constraint's index, which grows with the diary.
CREATE INDEX appointments_holds ON appointments (tenant_id, practitioner_id, starts_at) WHERE status = 'held';

-- +goose Down
DROP INDEX appointments_holds;
