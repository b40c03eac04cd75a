package note

import "github.com/google/uuid"

// Access is how much of a note a viewer may see.
type Access int

const (
	// AccessNone: the note is not shown at all.
	AccessNone Access = iota
	// AccessMetadata: that a note exists, whose, when, its kind and status;
	// never its text.
	AccessMetadata
	// AccessBody: the whole note, addenda included.
	AccessBody
)

func (a Access) String() string {
	switch a {
	case AccessBody:
		return "body"
	case AccessMetadata:
		return "metadata"
	}
	return "none"
}

// Viewer is who asks to see a note: a member of the tenant the request
// resolved, with their roles there.
type Viewer struct {
	UserID   uuid.UUID
	TenantID uuid.UUID
	Roles    []string
}

// clinicalTeam reads the notes of its practice (issue 6, "who sees what").
var clinicalTeam = []string{"gp", "nurse", "hip", "health_coach"}

// metadataRoles see that notes exist but not what they say: they run the
// practice, the PHO, the region or the contract (DESIGN.md: no admin or
// funder role reads clinical content).
var metadataRoles = []string{"practice_admin", "pho_admin", "regional_admin", "funder", "platform_operator"}

// CanRead decides, in this one place, how much of a note a viewer may see
// and says why. Its rules, most specific first:
//   - another tenant's note: nothing (the wall also makes it not found);
//   - the author reads their own note;
//   - a restricted note (e.g. a disclosure of abuse): HIPs read it; other
//     clinicians see metadata and may ask for break-glass; admins metadata;
//   - the clinical team (gp, nurse, hip, health_coach) reads every note of
//     the practice;
//   - a Support Worker reads Support Worker notes only (the referral and its
//     handover summary are theirs through models/referral, not here);
//   - admin and funder roles see metadata only.
//
// Break-glass is not decided here: Open lets a live grant lift AccessMetadata
// to AccessBody for one restricted note.
func CanRead(v Viewer, m Meta) (Access, string) {
	if v.TenantID != m.TenantID || v.UserID == uuid.Nil {
		return AccessNone, "the note belongs to another practice"
	}
	if v.UserID == m.AuthorID {
		return AccessBody, "the author reads their own note"
	}
	clinician := anyRole(v.Roles, clinicalTeam)
	if m.Restricted {
		switch {
		case hasRole(v.Roles, "hip"):
			return AccessBody, "HIPs read restricted notes"
		case clinician || hasRole(v.Roles, "support_worker"):
			return AccessMetadata, "restricted: only its author and HIPs read it (break-glass for clinicians)"
		case anyRole(v.Roles, metadataRoles):
			return AccessMetadata, "admin and funder roles see metadata only"
		}
		return AccessNone, "no role that sees notes"
	}
	switch {
	case clinician:
		return AccessBody, "the clinical team reads the practice's notes"
	case hasRole(v.Roles, "support_worker") && m.Kind == KindSupportWorker:
		return AccessBody, "Support Workers read Support Worker notes"
	case hasRole(v.Roles, "support_worker"):
		return AccessMetadata, "Support Workers read Support Worker notes, the referral and the handover summary only"
	case anyRole(v.Roles, metadataRoles):
		return AccessMetadata, "admin and funder roles see metadata only"
	}
	return AccessNone, "no role that sees notes"
}

// breakGlassEligible: clinicians who may open a restricted note they cannot
// read, with a reason. Support Workers and admins may not.
func breakGlassEligible(roles []string) bool { return anyRole(roles, clinicalTeam) }

func anyRole(roles, want []string) bool {
	for _, r := range want {
		if hasRole(roles, r) {
			return true
		}
	}
	return false
}
