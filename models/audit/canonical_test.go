package audit

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/uuid"
)

func text(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func goldenEvent() stored {
	id := func(s string) uuid.NullUUID { return uuid.NullUUID{UUID: uuid.MustParse(s), Valid: true} }
	return stored{
		TenantID:    id("01900000-0000-7000-8000-000000000001"),
		ID:          id("01900000-0000-7000-8000-000000000002"),
		At:          sql.NullTime{Time: time.Date(2025, 7, 1, 9, 30, 0, 123456000, time.UTC), Valid: true},
		Action:      text("record.read"),
		ActorUserID: id("01900000-0000-7000-8000-000000000003"),
		ActorRoles:  text(`["hip", "gp"]`),
		PatientID:   id("01900000-0000-7000-8000-000000000004"),
		Object:      text("note"), ObjectID: text("n-1"), Outcome: text("ok"), Reason: text("direct care"),
		IP: text("203.0.113.7/32"), RequestID: text("r-1"),
		Detail: text(`{"view": "summary", "section": "plan"}`),
	}
}

// Every seal ever written depends on these bytes: a change to the canonical
// form breaks every chain in every database. Change it only with a new
// canonicalVersion and a way to verify the old one.
func TestCanonicalFormIsStable(t *testing.T) {
	e := goldenEvent()
	// The form, spelled out: the version, then each field absent (00) or
	// present (01); uuids as 16 bytes, the time as int64 microseconds,
	// text as uint32 length and bytes, JSON as 01 and canonical text.
	var b bytes.Buffer
	b.WriteString("tuhono.audit.v1")
	u := func(s string) { b.WriteByte(1); id := uuid.MustParse(s); b.Write(id[:]) }
	str := func(s string) { b.WriteByte(1); binary.Write(&b, binary.BigEndian, uint32(len(s))); b.WriteString(s) }
	u("01900000-0000-7000-8000-000000000001")
	u("01900000-0000-7000-8000-000000000002")
	b.WriteByte(1)
	binary.Write(&b, binary.BigEndian, int64(1751362200123456))
	str("record.read")
	u("01900000-0000-7000-8000-000000000003")
	b.WriteByte(1)
	str(`["hip","gp"]`)
	b.WriteByte(0) // subject
	u("01900000-0000-7000-8000-000000000004")
	for _, s := range []string{"note", "n-1", "ok", "direct care", "203.0.113.7/32", "r-1"} {
		str(s)
	}
	b.WriteByte(1)
	str(`{"section":"plan","view":"summary"}`)
	if !bytes.Equal(e.canonical(), b.Bytes()) {
		t.Fatalf("canonical form\n got %q\nwant %q", e.canonical(), b.Bytes())
	}
	const want = "998c9fa05411675e3774775802eadc1a3d412f9855e42dd0ebde1e58ddf26deb"
	if got := hex.EncodeToString(link(genesis, &e)); got != want {
		t.Errorf("hash of the golden event = %s, want %s", got, want)
	}
	// The same event in another zone, and detail printed otherwise, is the same event.
	same := goldenEvent()
	same.At.Time = same.At.Time.In(time.FixedZone("NZST", 12*3600))
	same.Detail = text(`{"section":"plan","view":"summary"}`)
	same.ActorRoles = text(`["hip","gp"]`)
	if hex.EncodeToString(link(genesis, &same)) != hex.EncodeToString(link(genesis, &e)) {
		t.Error("the same event hashes differently when printed differently")
	}
}

// No two different events encode alike: fields cannot bleed into each other,
// and absent differs from empty.
func TestCanonicalFormIsUnambiguous(t *testing.T) {
	variants := map[string]func(*stored){
		"object/object_id boundary": func(s *stored) { s.Object, s.ObjectID = text("note"+"n"), text("-1") },
		"empty reason":              func(s *stored) { s.Reason = text("") },
		"absent reason":             func(s *stored) { s.Reason = sql.NullString{} },
		"absent patient":            func(s *stored) { s.PatientID = uuid.NullUUID{} },
		"subject instead of actor": func(s *stored) {
			s.SubjectUserID, s.ActorUserID = s.ActorUserID, uuid.NullUUID{}
		},
		"roles reordered":     func(s *stored) { s.ActorRoles = text(`["gp", "hip"]`) },
		"roles joined":        func(s *stored) { s.ActorRoles = text(`["hipgp"]`) },
		"detail value":        func(s *stored) { s.Detail = text(`{"view": "full", "section": "plan"}`) },
		"detail not JSON":     func(s *stored) { s.Detail = text(`{"view": "summary", "section": "plan"`) },
		"one microsecond":     func(s *stored) { s.At.Time = s.At.Time.Add(time.Microsecond) },
		"outcome":             func(s *stored) { s.Outcome = text("denied") },
		"ip":                  func(s *stored) { s.IP = text("203.0.113.8/32") },
		"another tenant":      func(s *stored) { s.TenantID.UUID[15] ^= 1 },
		"the platform's":      func(s *stored) { s.TenantID = uuid.NullUUID{} },
		"request id":          func(s *stored) { s.RequestID = text("r-2") },
		"action":              func(s *stored) { s.Action = text("record.update") },
		"event id":            func(s *stored) { s.ID.UUID[15] ^= 1 },
		"missing time":        func(s *stored) { s.At = sql.NullTime{} },
		"detail key renamed":  func(s *stored) { s.Detail = text(`{"views": "summary", "section": "plan"}`) },
		"roles absent":        func(s *stored) { s.ActorRoles = sql.NullString{} },
		"roles empty":         func(s *stored) { s.ActorRoles = text(`[]`) },
		"detail empty object": func(s *stored) { s.Detail = text(`{}`) },
	}
	base := goldenEvent()
	seen := map[string]string{string(base.canonical()): "golden"}
	for name, change := range variants {
		e := goldenEvent()
		change(&e)
		k := string(e.canonical())
		if other, ok := seen[k]; ok {
			t.Errorf("%s encodes like %s", name, other)
		}
		seen[k] = name
	}
}
