package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// Sender delivers one message. It returns nil only once the message has been
// handed over for good (for SMTP: the server accepted the DATA); an error
// wrapping ErrRejected means retrying cannot help.
type Sender interface {
	Send(ctx context.Context, m Email) error
}

// ErrRejected marks a permanent refusal: a 5xx reply to the recipient or to
// the message itself (no such mailbox, message refused). The deliverer gives
// up at once instead of retrying for two days, as mail servers do with a
// bounce. A 5xx before that point (authentication, the sender address) is a
// configuration fault and is retried, so mail survives the fix.
var ErrRejected = errors.New("rejected by the receiving server")

// SMTP sends through a mail relay with net/smtp.
//
// STARTTLS is used whenever the server offers it (with the certificate
// verified against the host of Addr); StartTLS set makes it required, so a
// server that does not offer it gets nothing. Port 465 means implicit TLS
// (SMTPS). Credentials are sent with PLAIN only over TLS or to localhost.
type SMTP struct {
	Addr     string // host:port of the relay (SMTP_ADDR)
	From     string // "Tūhono <no-reply@example.nz>" (SMTP_FROM)
	Username string // empty: no authentication (SMTP_USERNAME)
	Password string // (SMTP_PASSWORD)
	StartTLS bool   // require STARTTLS (SMTP_STARTTLS)
	// Timeout bounds one whole conversation, connect to QUIT; 0 means 30 s.
	Timeout time.Duration
}

// Validate checks the configuration, for cmd to call at start-up rather than
// finding out at the first message.
func (s SMTP) Validate() error {
	if _, _, err := net.SplitHostPort(s.Addr); err != nil || s.Addr == "" {
		return fmt.Errorf("outbox.SMTP: Addr must be host:port")
	}
	if _, err := mail.ParseAddress(s.From); err != nil || strings.ContainsAny(s.From, "\r\n") {
		return fmt.Errorf("outbox.SMTP: From must be one e-mail address")
	}
	if s.Password != "" && s.Username == "" {
		return fmt.Errorf("outbox.SMTP: a password without a username")
	}
	return nil
}

// Send delivers m in one SMTP conversation.
func (s SMTP) Send(ctx context.Context, m Email) error {
	if err := s.send(ctx, m); err != nil {
		return fmt.Errorf("outbox.SMTP: %w", redacted{err, s.Password})
	}
	return nil
}

func (s SMTP) send(ctx context.Context, m Email) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return errors.New("a header field holds a line break")
	}
	from, _ := mail.ParseAddress(s.From)
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return errors.New("the recipient is not one e-mail address")
	}
	msg, err := buildMessage(from, to, m, time.Now())
	if err != nil {
		return err
	}

	host, port, _ := net.SplitHostPort(s.Addr)
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	// net/smtp takes no context: the deadline bounds every read and write, and
	// cancelling ctx cuts the conversation short.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	secure := port == "465"
	if secure {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
			secure = true
		} else if s.StartTLS {
			return errors.New("the server does not offer STARTTLS, which is required")
		}
	}
	if s.Username != "" {
		// net/smtp's PlainAuth makes the same check; refusing here says why.
		if !secure && !isLocalhost(host) {
			return errors.New("refusing to send credentials without TLS")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("rcpt to: %w", permanent(err))
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", permanent(err))
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", permanent(err))
	}
	// The server has accepted the message: a failed QUIT must not make the
	// deliverer send it again.
	_ = c.Quit()
	return nil
}

// permanent wraps a 5xx reply in ErrRejected.
func permanent(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code <= 599 {
		return fmt.Errorf("%w: %w", ErrRejected, err)
	}
	return err
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// helloName is the name given in EHLO: this machine's name when it looks like
// a domain, else "localhost" (net/smtp's default).
func helloName() string {
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// redacted keeps a secret out of an error's text (which ends up in
// outbox.last_error and the log) while errors.Is still sees the cause.
type redacted struct {
	err    error
	secret string
}

func (r redacted) Error() string {
	s := r.err.Error()
	if r.secret != "" {
		s = strings.ReplaceAll(s, r.secret, "[redacted]")
	}
	return s
}

func (r redacted) Unwrap() error { return r.err }

// buildMessage writes m as an RFC 5322 message in 7-bit ASCII: the subject
// and display names as RFC 2047 encoded-words, the bodies as quoted-printable
// UTF-8, a multipart/alternative (plain text first, HTML last, the preferred
// one) when there is HTML. The idempotency key is the Message-ID's left part,
// so a re-send after a crash carries the same Message-ID.
func buildMessage(from, to *mail.Address, m Email, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", formatAddress(from))
	header("To", formatAddress(to))
	header("Subject", encodeHeader(m.Subject))
	header("Date", now.UTC().Format(time.RFC1123Z))
	header("Message-ID", messageID(m.IdempotencyKey, from.Address))
	header("MIME-Version", "1.0")
	// RFC 3834: automatic mail, so auto-responders stay quiet.
	header("Auto-Submitted", "auto-generated")

	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
			b.WriteString("\r\n")
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, p.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w) // text mode: line breaks become CRLF
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}

func formatAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.String() // encodes a non-ASCII name as RFC 2047
}

// encodeHeader encodes s as RFC 2047 Q encoded-words when it is not plain
// ASCII, folding between words so no line passes RFC 5322's 78 characters
// by much (and never its 998).
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

// messageID builds <key@domain> from the idempotency key. The key may hold
// characters a Message-ID may not (":" in "invite:…"), so everything but
// letters, digits, "-" and "_" is written =XX — a one-to-one mapping, so
// distinct keys never share a Message-ID.
func messageID(key, fromAddress string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(fromAddress, '@'); i >= 0 && i < len(fromAddress)-1 {
		domain = fromAddress[i+1:]
	}
	var b strings.Builder
	b.WriteByte('<')
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	b.WriteByte('@')
	b.WriteString(domain)
	b.WriteByte('>')
	return b.String()
}
