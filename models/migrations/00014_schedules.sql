-- +goose Up
-- Schedules: each practitioner's working week at this practice, as weekly
-- templates of typed blocks, and exceptions (leave, training, sick) that take
-- time out of them. A HIP who works at several practices has a template in
-- each tenant; nothing here joins them.
--
-- Blocks are wall-clock times of a weekday ('09:00' Monday), never instants:
-- models/schedule turns them into instants in the tenant's IANA zone day by
-- day, which is what keeps them right across daylight-saving changes.

-- A template applies from effective_from up to, not including, effective_to
-- (NULL: until further notice). Templates are never deleted: a change of
-- schedule ends the current one (effective_to) and starts another, so past
-- schedules stay as they were. One practitioner's templates never overlap
-- (btree_gist comes from migration 00013).
CREATE TABLE schedule_templates (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    effective_from   date NOT NULL,
    effective_to     date,
    created_by       uuid NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, practitioner_id) REFERENCES memberships (tenant_id, user_id),
    CHECK (effective_to IS NULL OR effective_to > effective_from),
    CONSTRAINT schedule_templates_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, practitioner_id WITH =, daterange(effective_from, effective_to, '[)') WITH &&)
);
ALTER TABLE schedule_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedule_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY schedule_templates_tenant ON schedule_templates
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- No DELETE: a template is ended with effective_to, never removed.
GRANT SELECT, INSERT, UPDATE ON schedule_templates TO tuhono_app;

-- The blocks of a template's week. weekday is ISO 8601 (1 Monday … 7 Sunday).
-- Overlaps within a day, the 5-minute grid and the 06:00–22:00 day are
-- checked by models/schedule; the database keeps what it can state simply.
CREATE TABLE schedule_blocks (
    tenant_id    uuid NOT NULL,
    template_id  uuid NOT NULL,
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts       time NOT NULL,
    ends         time NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('open', 'booked', 'group', 'admin')),
    PRIMARY KEY (tenant_id, template_id, weekday, starts),
    FOREIGN KEY (tenant_id, template_id) REFERENCES schedule_templates (tenant_id, id),
    CHECK (ends > starts)
);
ALTER TABLE schedule_blocks ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedule_blocks FORCE ROW LEVEL SECURITY;
CREATE POLICY schedule_blocks_tenant ON schedule_blocks
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON schedule_blocks TO tuhono_app;

-- Time out of a practitioner's schedule, as instants (leave can cross a
-- daylight-saving change; the instants stay what was meant).
CREATE TABLE schedule_exceptions (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    practitioner_id  uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('leave', 'training', 'sick', 'other')),
    created_by       uuid NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, practitioner_id) REFERENCES memberships (tenant_id, user_id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX schedule_exceptions_practitioner ON schedule_exceptions (tenant_id, practitioner_id, starts_at);
ALTER TABLE schedule_exceptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedule_exceptions FORCE ROW LEVEL SECURITY;
CREATE POLICY schedule_exceptions_tenant ON schedule_exceptions
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON schedule_exceptions TO tuhono_app;

-- +goose Down
DROP TABLE schedule_exceptions;
DROP TABLE schedule_blocks;
DROP TABLE schedule_templates;
