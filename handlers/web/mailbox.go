package web

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
)

// The development mailbox shows what Tūhono "sent" (the development sender
// delivers nothing), so invitations and reset links can be followed on a
// machine without mail. It is registered only when Deps.Mailbox is set,
// which production never does.

type mailboxPage struct {
	layout
	Messages []messageView
}

type messageView struct {
	To, Subject, Tenant string
	Kind                string // "email" or "sms"
	Created             timeView
	State               string
	Body                []segment
}

// segment is a run of a text body: plain text, or a link. Both are escaped
// by the template; a link's href is one of our own http(s) URLs as written.
type segment struct {
	Text string
	URL  string
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"'` + "`" + `]+`)

// linkify splits text into plain runs and http(s) links. Trailing punctuation
// belongs to the sentence, not the link.
func linkify(text string) []segment {
	var out []segment
	last := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		for end > start && strings.ContainsRune(".,;:!?)]}", rune(text[end-1])) {
			end--
		}
		if start > last {
			out = append(out, segment{Text: text[last:start]})
		}
		out = append(out, segment{Text: text[start:end], URL: text[start:end]})
		last = end
	}
	if last < len(text) {
		out = append(out, segment{Text: text[last:]})
	}
	return out
}

func (h *handler) mailbox(c *fiber.Ctx) error {
	msgs, err := h.Mailbox(httpx.Context(c))
	if err != nil {
		return err
	}
	p := mailboxPage{layout: h.page(c, "Development mailbox", "E-mail and SMS Tūhono would have sent.", "/dev/mailbox")}
	for _, m := range msgs {
		state := "Queued"
		switch {
		case m.DeliveredAt != nil:
			state = "Delivered"
		case m.FailedAt != nil:
			state = "Failed"
		}
		subject := m.Subject
		if m.Kind == "sms" {
			subject = "Text message"
		}
		p.Messages = append(p.Messages, messageView{To: m.To, Subject: subject, Kind: m.Kind, Tenant: m.TenantSlug,
			Created: showTime(m.CreatedAt, nzZone), State: state, Body: linkify(m.Text)})
	}
	return h.render(c, fiber.StatusOK, pageMailbox, p)
}
