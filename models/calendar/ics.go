package calendar

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
)

// event is one appointment as the feed shows it: what and when, never who.
type event struct {
	ID       uuid.UUID
	Kind     booking.Kind
	Mode     booking.Mode
	Line     booking.ServiceLine
	Status   booking.Status
	Start    time.Time
	End      time.Time
	Modified time.Time
}

var lineNames = map[booking.ServiceLine]string{
	booking.LineHIP: "HIP", booking.LineHealthCoach: "Health Coach", booking.LineSupportWorker: "Support Worker",
}

var modeNames = map[booking.Mode]string{
	booking.ModeInPerson: "in person", booking.ModePhone: "phone", booking.ModeVideo: "video",
	booking.ModeCommunity: "home or community",
}

// summary names the session by its service line and mode only: a feed goes
// to phones and third-party calendar services, so it carries nothing that
// identifies the person (HIPC rules 5 and 11).
func (e event) summary() string {
	s := lineNames[e.Line] + " session"
	if e.Kind == booking.KindGroup {
		s = lineNames[e.Line] + " group session"
	}
	return s + " · " + modeNames[e.Mode]
}

// status maps the lifecycle onto RFC 5545's VEVENT statuses.
func (e event) status() string {
	if e.Status == booking.StatusCancelled {
		return "CANCELLED"
	}
	return "CONFIRMED"
}

// icsTime is a UTC DATE-TIME ("form #2"): no VTIMEZONE needed, and every
// client shows it in its own zone.
func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// renderICS writes the VCALENDAR: CRLF line ends, lines folded at 75 octets
// (RFC 5545 §3.1), one VEVENT per appointment with a stable UID so clients
// update rather than duplicate.
func renderICS(stamp time.Time, events []event) []byte {
	var b bytes.Buffer
	w := func(name, value string) { writeLine(&b, name+":"+value) }
	w("BEGIN", "VCALENDAR")
	w("VERSION", "2.0")
	w("PRODID", "-//Tuhono//Calendar feed//EN")
	w("CALSCALE", "GREGORIAN")
	w("METHOD", "PUBLISH")
	w("X-WR-CALNAME", escapeText("Tūhono appointments"))
	w("X-PUBLISHED-TTL", "PT15M")
	for _, e := range events {
		w("BEGIN", "VEVENT")
		w("UID", e.ID.String()+"@tuhono")
		w("DTSTAMP", icsTime(stamp))
		w("LAST-MODIFIED", icsTime(e.Modified))
		w("DTSTART", icsTime(e.Start))
		w("DTEND", icsTime(e.End))
		w("SUMMARY", escapeText(e.summary()))
		w("STATUS", e.status())
		if e.Status == booking.StatusCancelled {
			w("TRANSP", "TRANSPARENT")
		} else {
			w("TRANSP", "OPAQUE")
		}
		w("END", "VEVENT")
	}
	w("END", "VCALENDAR")
	return b.Bytes()
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// writeLine writes one content line, folded so that no line is longer than
// 75 octets, never inside a UTF-8 sequence; continuation lines begin with a
// space.
func writeLine(b *bytes.Buffer, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
