-- +goose Up
-- A person may revoke their own API tokens wherever they are (turning MFA
-- off revokes them all, since a token must not outlive the MFA its clinical
-- roles required). Only revocation: the check below allows no other change
-- of substance because the app updates nothing else in this scope.
CREATE POLICY api_tokens_self_revoke ON api_tokens FOR UPDATE
    USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);

-- +goose Down
DROP POLICY api_tokens_self_revoke ON api_tokens;
