package account

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Config holds the account rules a deployment may tune.
type Config struct {
	Argon2          Argon2Params
	SealKey         []byte        // 32 bytes: seals TOTP secrets at rest
	IdleTimeout     time.Duration // default 30 min
	Lifetime        time.Duration // absolute session lifetime, default 12 h
	InvitationTTL   time.Duration // default 7 days
	ResetTTL        time.Duration // default 1 hour
	AccountFailures int           // failures per account per window before a block, default 5
	IPFailures      int           // failures per client IP per window, default 30
	Window          time.Duration // default 15 min
	Block           time.Duration // default 5 min: a pause, never a permanent lockout
	BaseURL         string        // for links in e-mails
	Now             func() time.Time
}

func (c *Config) defaults() {
	if c.Argon2 == (Argon2Params{}) {
		c.Argon2 = DefaultArgon2
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, 30*time.Minute)
	def(&c.Lifetime, 12*time.Hour)
	def(&c.InvitationTTL, 7*24*time.Hour)
	def(&c.ResetTTL, time.Hour)
	def(&c.Window, 15*time.Minute)
	def(&c.Block, 5*time.Minute)
	if c.AccountFailures <= 0 {
		c.AccountFailures = 5
	}
	if c.IPFailures <= 0 {
		c.IPFailures = 30
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Grants mirrors role changes into the authorisation engine (policy's
// Enforcer). It is called after the change commits; the membership row stays
// the source of truth and is checked on every request, so a mirror that lags
// never keeps an ended membership alive.
type Grants interface {
	Grant(ctx context.Context, user uuid.UUID, role, domain string) error
	RevokeAll(ctx context.Context, user uuid.UUID, domain string) error
}

// Service is the account domain. Build it once with New.
type Service struct {
	db     *db.DB
	grants Grants
	cfg    Config
}

// New returns the service; grants may be nil in tests that do not authorise.
func New(d *db.DB, grants Grants, cfg Config) *Service {
	cfg.defaults()
	return &Service{db: d, grants: grants, cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// TenantDomain names a tenant for the policy engine.
func TenantDomain(id uuid.UUID) string { return "tenant:" + id.String() }
