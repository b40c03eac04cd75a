package db

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The two login roles of the application. The owner owns the schema and runs
// the migrations; the app role owns nothing and is subject to every RLS policy.
const (
	roleOwnerName = "tuhono_owner"
	roleAppName   = "tuhono_app"
)

// Attributes are spelled out in full so that ALTER ROLE also repairs a role
// somebody widened by hand.
const (
	roleOwnerAttrs = "LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS NOREPLICATION"
	roleAppAttrs   = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION NOINHERIT"
)

// roleAdminLockKey is the session advisory lock EnsureRoles and EnsureDatabase
// hold while they work, so that two processes (two test binaries, serve and
// migrate) do not race on the same catalogue rows ("tuple concurrently
// updated"). The value is arbitrary but fixed: "tuhonoDB" in ASCII.
const roleAdminLockKey int64 = 0x7475686f6e6f4442

// EnsureRoles creates, or brings up to date, the login roles tuhono_owner and
// tuhono_app on the server reached by superURL (a superuser DSN):
//
//   - tuhono_owner: LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS NOREPLICATION
//   - tuhono_app:   LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION NOINHERIT
//
// An existing role gets its attributes and password reset. Passwords are sent
// as SCRAM-SHA-256 verifiers computed here (when they are printable ASCII), so
// the plain password never reaches the server or its log. It is idempotent and
// safe to run from several processes at once.
func EnsureRoles(ctx context.Context, superURL, ownerPassword, appPassword string) error {
	if ownerPassword == "" || appPassword == "" {
		return errors.New("db.EnsureRoles: empty password")
	}
	conn, unlock, err := roleAdminConnect(ctx, superURL)
	if err != nil {
		return fmt.Errorf("db.EnsureRoles: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	defer unlock()

	if err := roleEnsure(ctx, conn, roleOwnerName, roleOwnerAttrs, ownerPassword); err != nil {
		return fmt.Errorf("db.EnsureRoles: %s: %w", roleOwnerName, err)
	}
	if err := roleEnsure(ctx, conn, roleAppName, roleAppAttrs, appPassword); err != nil {
		return fmt.Errorf("db.EnsureRoles: %s: %w", roleAppName, err)
	}
	return nil
}

// EnsureDatabase creates database name (UTF8, from template0) owned by
// tuhono_owner when it is missing, and otherwise makes tuhono_owner its owner.
// It revokes CONNECT and TEMPORARY on it from PUBLIC and grants CONNECT to
// tuhono_app; inside it, it revokes CREATE on schema public from PUBLIC, makes
// tuhono_owner the owner of schema public and grants USAGE on it to
// tuhono_app. The roles must exist (EnsureRoles). Idempotent and safe to run
// from several processes at once.
func EnsureDatabase(ctx context.Context, superURL, name string) error {
	if name == "" || len(name) > 63 || strings.ContainsRune(name, 0) {
		return fmt.Errorf("db.EnsureDatabase: invalid database name %q", name)
	}
	conn, unlock, err := roleAdminConnect(ctx, superURL)
	if err != nil {
		return fmt.Errorf("db.EnsureDatabase: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	defer unlock()

	ident := pgx.Identifier{name}.Sanitize()
	owner := pgx.Identifier{roleOwnerName}.Sanitize()
	app := pgx.Identifier{roleAppName}.Sanitize()

	var current string
	err = conn.QueryRow(ctx, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", name).Scan(&current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = conn.Exec(ctx, "CREATE DATABASE "+ident+" OWNER "+owner+" TEMPLATE template0 ENCODING 'UTF8'")
		switch roleSQLState(err) {
		case "":
			if err != nil {
				return fmt.Errorf("db.EnsureDatabase: create %s: %w", name, err)
			}
		case "42P04", "23505":
			// Created meanwhile by a session not holding our lock
			// (duplicate_database, or the unique index on pg_database):
			// make sure of its owner.
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" OWNER TO "+owner); err != nil {
				return fmt.Errorf("db.EnsureDatabase: %w", err)
			}
		default:
			return fmt.Errorf("db.EnsureDatabase: create %s: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("db.EnsureDatabase: %w", err)
	case current != roleOwnerName:
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" OWNER TO "+owner); err != nil {
			return fmt.Errorf("db.EnsureDatabase: %w", err)
		}
	}
	for _, stmt := range []string{
		"REVOKE CONNECT, TEMPORARY ON DATABASE " + ident + " FROM PUBLIC",
		"GRANT CONNECT ON DATABASE " + ident + " TO " + app,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("db.EnsureDatabase: %w", err)
		}
	}

	// The schema grants are made inside the database, still as superuser. The
	// advisory lock taken above stays held meanwhile.
	inDB, err := roleWithDatabase(superURL, name)
	if err != nil {
		return fmt.Errorf("db.EnsureDatabase: %w", err)
	}
	dbConn, err := roleConnect(ctx, inDB)
	if err != nil {
		return fmt.Errorf("db.EnsureDatabase: %w", err)
	}
	defer dbConn.Close(context.WithoutCancel(ctx))
	for _, stmt := range []string{
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"ALTER SCHEMA public OWNER TO " + owner,
		"GRANT USAGE ON SCHEMA public TO " + app,
	} {
		if _, err := dbConn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("db.EnsureDatabase: %s: %w", name, err)
		}
	}
	return nil
}

// WithCredentials returns dsn with its user and password replaced and its
// database replaced by database (kept when database is empty; the password is
// dropped when password is empty). It takes both URL (postgres://...) and
// keyword/value (host=... user=...) connection strings. Errors never quote the
// DSN, which holds a password.
func WithCredentials(dsn, user, password, database string) (string, error) {
	if user == "" {
		return "", errors.New("db.WithCredentials: empty user")
	}
	if strings.ContainsRune(user, 0) || strings.ContainsRune(password, 0) || strings.ContainsRune(database, 0) {
		return "", errors.New("db.WithCredentials: NUL in user, password or database")
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		out, err := roleRewriteKeywordDSN(dsn, user, password, database)
		if err != nil {
			return "", fmt.Errorf("db.WithCredentials: %w", err)
		}
		return out, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("db.WithCredentials: the connection URL does not parse")
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	if database != "" {
		u.Path = "/" + database
		u.RawPath = ""
	}
	// Query parameters win over the URL's userinfo and path in libpq and pgx.
	q := u.Query()
	changed := false
	for _, k := range []string{"user", "password", "dbname", "database"} {
		if q.Has(k) && (k == "user" || k == "password" || database != "") {
			q.Del(k)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// roleWithDatabase keeps the DSN's credentials and changes only its database.
func roleWithDatabase(dsn, database string) (string, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "", errors.New("the superuser connection string does not parse")
	}
	return WithCredentials(dsn, cfg.User, cfg.Password, database)
}

// roleRewriteKeywordDSN rewrites a libpq keyword/value connection string.
func roleRewriteKeywordDSN(dsn, user, password, database string) (string, error) {
	type kv struct{ k, v string }
	var pairs []kv
	s := dsn
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return "", errors.New("the connection string is neither a postgres:// URL nor key=value pairs")
		}
		key := strings.TrimRightFunc(s[:eq], unicode.IsSpace)
		if strings.IndexFunc(key, unicode.IsSpace) >= 0 {
			return "", errors.New("the connection string is neither a postgres:// URL nor key=value pairs")
		}
		s = strings.TrimLeftFunc(s[eq+1:], unicode.IsSpace)
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			closed := false
			for len(s) > 0 {
				c := s[0]
				s = s[1:]
				if c == '\\' && len(s) > 0 {
					val.WriteByte(s[0])
					s = s[1:]
					continue
				}
				if c == '\'' {
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return "", errors.New("unterminated quoted value in the connection string")
			}
		} else {
			for len(s) > 0 && !unicode.IsSpace(rune(s[0])) {
				c := s[0]
				s = s[1:]
				if c == '\\' && len(s) > 0 {
					c = s[0]
					s = s[1:]
				}
				val.WriteByte(c)
			}
		}
		pairs = append(pairs, kv{key, val.String()})
	}
	quote := func(v string) string {
		v = strings.ReplaceAll(v, `\`, `\\`)
		return "'" + strings.ReplaceAll(v, `'`, `\'`) + "'"
	}
	var b strings.Builder
	for _, p := range pairs {
		switch p.k {
		case "user", "password":
			continue
		case "dbname", "database":
			if database != "" {
				continue
			}
		}
		b.WriteString(p.k + "=" + quote(p.v) + " ")
	}
	b.WriteString("user=" + quote(user))
	if password != "" {
		b.WriteString(" password=" + quote(password))
	}
	if database != "" {
		b.WriteString(" dbname=" + quote(database))
	}
	return b.String(), nil
}

// roleConnect opens one admin connection with a bounded connect time.
func roleConnect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgconn redacts the password in its parse errors.
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "tuhono-admin"
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// roleAdminConnect connects as superuser and takes the admin advisory lock.
func roleAdminConnect(ctx context.Context, superURL string) (*pgx.Conn, func(), error) {
	conn, err := roleConnect(ctx, superURL)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", roleAdminLockKey); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	unlock := func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		// Closing the connection releases the lock too; this is a courtesy.
		_, _ = conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", roleAdminLockKey)
	}
	return conn, unlock, nil
}

// roleEnsure creates role name or, when it exists (or appears meanwhile),
// alters it to the given attributes and password.
func roleEnsure(ctx context.Context, conn *pgx.Conn, name, attrs, password string) error {
	ident := pgx.Identifier{name}.Sanitize()
	secret, err := roleSCRAMVerifier(password)
	if err != nil {
		return err
	}
	lit, err := roleQuoteLiteral(secret)
	if err != nil {
		return err
	}
	for range 3 {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			_, err := conn.Exec(ctx, "ALTER ROLE "+ident+" WITH "+attrs+" PASSWORD "+lit)
			return err
		}
		_, err := conn.Exec(ctx, "CREATE ROLE "+ident+" WITH "+attrs+" PASSWORD "+lit)
		switch roleSQLState(err) {
		case "42710", "23505": // created concurrently by a session not holding our lock: alter it
			continue
		}
		return err
	}
	return errors.New("role keeps appearing and disappearing")
}

// roleSCRAMVerifier returns the SCRAM-SHA-256 verifier PostgreSQL would store
// for password, so that the password itself is never sent. PostgreSQL applies
// SASLprep to passwords; for printable ASCII that is the identity, so other
// passwords are sent as they are and hashed by the server.
func roleSCRAMVerifier(password string) (string, error) {
	for i := 0; i < len(password); i++ {
		if password[i] < 0x20 || password[i] > 0x7e {
			return password, nil
		}
	}
	const iterations = 4096
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	server := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(server)), nil
}

// roleQuoteLiteral quotes s as an SQL string literal that reads the same
// whatever standard_conforming_strings says.
func roleQuoteLiteral(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", errors.New("NUL in string literal")
	}
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q, nil
}

func roleSQLState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
