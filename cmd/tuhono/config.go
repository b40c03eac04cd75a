package main

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/keys"
)

// Config is every setting of the binary, read once from the environment and
// passed down; nothing below cmd reads the environment.
type Config struct {
	DatabaseURL     string        // DATABASE_URL: app role DSN; empty → embedded PostgreSQL under DataDir
	MigrateURL      string        // MIGRATE_DATABASE_URL: owner role DSN for `migrate`
	ListenAddr      string        // LISTEN_ADDR
	BaseURL         string        // BASE_URL
	DataDir         string        // DATA_DIR
	LogLevel        slog.Level    // LOG_LEVEL
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT
	RequestTimeout  time.Duration // REQUEST_TIMEOUT
	ReadTimeout     time.Duration // READ_TIMEOUT
	WriteTimeout    time.Duration // WRITE_TIMEOUT
	IdleTimeout     time.Duration // IDLE_TIMEOUT
	BodyLimit       int           // BODY_LIMIT (bytes)
	TrustedProxies  []netip.Prefix
	DBMaxConns      int    // DB_MAX_CONNS
	PGBinDir        string // PG_BIN_DIR: embedded mode's PostgreSQL binaries (default: PATH, then /usr/lib/postgresql/*/bin)
	SecretKey       []byte // SECRET_KEY: 32 bytes, base64; seals TOTP secrets (embedded mode makes one)
	// NOTE_MASTER_KEY: base64 32-byte keys, comma-separated, the current one
	// first; previous ones stay until `tuhono keys rotate` has re-wrapped
	// every practice's data key. Wraps the data keys that encrypt clinical
	// notes, handovers and measure answers (embedded mode makes one).
	MasterKey         []byte
	PreviousMasterKey [][]byte
	SessionIdle       time.Duration // SESSION_IDLE_TIMEOUT
	SessionLifetime   time.Duration // SESSION_LIFETIME
	SMTP              SMTPConfig
	// Billing: STRIPE_SECRET_KEY (empty: billing off), STRIPE_WEBHOOK_SECRET,
	// STRIPE_PRICE_BASE, STRIPE_PRICE_SEAT, STRIPE_API_URL (another Stripe,
	// such as stripe-mock), STRIPE_TRIAL_DAYS (30), BILLING_GRACE (336h).
	Billing billing.Config
}

// SMTPConfig is the mail relay; with no SMTP_ADDR, the embedded development
// server delivers to its own mailbox page instead.
type SMTPConfig struct {
	Addr, From, Username, Password string
	StartTLS                       bool
}

// LoadConfig reads the environment; every bad value is reported at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		MigrateURL:  getenv("MIGRATE_DATABASE_URL"),
		ListenAddr:  or(getenv("LISTEN_ADDR"), "127.0.0.1:8080"),
		DataDir:     or(getenv("DATA_DIR"), ".tuhono"),
		PGBinDir:    getenv("PG_BIN_DIR"),
	}
	var errs []string
	c.BaseURL = strings.TrimSuffix(or(getenv("BASE_URL"), "http://"+displayAddr(c.ListenAddr)), "/")
	if err := c.LogLevel.UnmarshalText([]byte(or(getenv("LOG_LEVEL"), "info"))); err != nil {
		errs = append(errs, "LOG_LEVEL: use debug, info, warn or error")
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, name+": use a positive duration such as 20s")
			return def
		}
		return d
	}
	num := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, name+": use a positive whole number")
			return def
		}
		return n
	}
	c.ShutdownTimeout = dur("SHUTDOWN_TIMEOUT", 20*time.Second)
	c.RequestTimeout = dur("REQUEST_TIMEOUT", 20*time.Second)
	c.ReadTimeout = dur("READ_TIMEOUT", 15*time.Second)
	c.WriteTimeout = dur("WRITE_TIMEOUT", 30*time.Second)
	c.IdleTimeout = dur("IDLE_TIMEOUT", 60*time.Second)
	// Room for a 10 MiB CSV import with its multipart framing; everything
	// else is far smaller, and READ_TIMEOUT bounds a slow sender.
	c.BodyLimit = num("BODY_LIMIT", 11<<20)
	c.DBMaxConns = num("DB_MAX_CONNS", 20)
	c.SessionIdle = dur("SESSION_IDLE_TIMEOUT", 30*time.Minute)
	c.SessionLifetime = dur("SESSION_LIFETIME", 12*time.Hour)
	c.Billing = billing.Config{SecretKey: getenv("STRIPE_SECRET_KEY"), WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
		PriceBase: getenv("STRIPE_PRICE_BASE"), PriceSeat: getenv("STRIPE_PRICE_SEAT"), APIURL: getenv("STRIPE_API_URL"),
		TrialDays: 30, Grace: dur("BILLING_GRACE", billing.DefaultGrace)}
	if v := getenv("STRIPE_TRIAL_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, "STRIPE_TRIAL_DAYS: use a whole number of days (0 for no trial)")
		}
		c.Billing.TrialDays = n
	}
	if err := c.Billing.Check(); err != nil {
		errs = append(errs, err.Error())
	}
	if k := getenv("SECRET_KEY"); k != "" {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(b) != 32 {
			errs = append(errs, "SECRET_KEY: use 32 random bytes in base64 (openssl rand -base64 32)")
		}
		c.SecretKey = b
	}
	if k := getenv("NOTE_MASTER_KEY"); k != "" {
		cur, prev, err := keys.ParseMasterKeys(k)
		if err != nil {
			errs = append(errs, "NOTE_MASTER_KEY: "+err.Error())
		}
		c.MasterKey, c.PreviousMasterKey = cur, prev
	}
	c.SMTP = SMTPConfig{Addr: getenv("SMTP_ADDR"), From: or(getenv("SMTP_FROM"), "Tūhono <no-reply@tuhono.nz>"),
		Username: getenv("SMTP_USERNAME"), Password: getenv("SMTP_PASSWORD"), StartTLS: getenv("SMTP_STARTTLS") != "false"}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			if a, aerr := netip.ParseAddr(p); aerr == nil {
				pfx = netip.PrefixFrom(a, a.BitLen())
			} else {
				errs = append(errs, "TRUSTED_PROXIES: "+p+" is not an address or CIDR")
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func or(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func displayAddr(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// getenv is the process environment.
var getenv = os.Getenv
