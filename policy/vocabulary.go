package policy

import (
	"strings"

	"github.com/google/uuid"
)

// A role is held in one kind of domain, its home: clinical and practice roles
// in a tenant, regional_admin in a region, funder in a funder organisation,
// platform_operator on the platform. Its templates in policy.csv carry the
// home as a domain pattern ("tenant:*"), so a role held anywhere else (a hip
// link in a region, say) matches no template and grants nothing.
var roles = []struct {
	name string
	home string // domain kind: tenant, region, funder or platform
}{
	{"gp", kindTenant},
	{"nurse", kindTenant},
	{"hip", kindTenant},
	{"health_coach", kindTenant},
	{"support_worker", kindTenant},
	{"practice_admin", kindTenant},
	{"pho_admin", kindTenant},
	{"regional_admin", kindRegion},
	{"funder", kindFunder},
	{"platform_operator", kindPlatform},
}

// The kinds of thing a permission is about, each with the actions it admits.
// Kept small on purpose; what an action means:
//
//	read, create, update   the ordinary verbs (update of a note: its unsigned draft)
//	delete                 cancel or remove (appointments, schedule slots, a published report)
//	sign, amend            sign a note; add an addendum to a signed one (signed notes never change)
//	export                 download a report (aggregated, de-identified)
//	invite, suspend        bring a person into a tenant; stop their access
//	settings               change a tenant's settings
//
// Patients and notes have no delete: health records are kept at least ten
// years from the last service (Health (Retention of Health Information)
// Regulations 1996). "region" is the platform operator's: regions are
// created and named on the platform.
var objects = []struct {
	name    string
	actions []string
}{
	{"tenant", []string{"read", "create", "update", "settings"}},
	{"region", []string{"read", "create", "update"}},
	{"staff", []string{"read", "invite", "update", "suspend"}},
	{"patient", []string{"read", "create", "update"}},
	{"appointment", []string{"read", "create", "update", "delete"}},
	{"schedule", []string{"read", "create", "update", "delete"}},
	{"referral", []string{"read", "create", "update"}},
	{"note", []string{"read", "create", "update", "sign", "amend"}},
	{"note.restricted", []string{"read", "create", "update", "sign", "amend"}},
	{"handover", []string{"read", "create", "update"}},
	{"outcome", []string{"read", "create", "update"}},
	{"contract", []string{"read", "create", "update"}},
	{"report", []string{"read", "export"}},
	// report.exact: a practice's own figures unrounded and unsuppressed,
	// for its staff with clinical access (issue 7, item 4).
	{"report.exact", []string{"read"}},
	// workforce: FTE per practitioner, service line and period, and leave.
	{"workforce", []string{"read", "update"}},
	{"report.publish", []string{"create", "delete"}},
	{"billing", []string{"read", "update"}},
	{"audit", []string{"read"}},
}

// The order actions are listed in, by Actions and the matrix.
var actionOrder = []string{"read", "create", "update", "delete", "sign", "amend", "export", "invite", "suspend", "settings"}

// Roles lists every role, clinical first, then by the breadth of what they
// administer.
func Roles() []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.name
	}
	return out
}

// Objects lists every kind of thing a permission can be about.
func Objects() []string {
	out := make([]string, len(objects))
	for i, o := range objects {
		out[i] = o.name
	}
	return out
}

// Actions lists every action of any object.
func Actions() []string { return append([]string(nil), actionOrder...) }

// Domains. A domain names where a role is held and where a request is made.
const (
	kindTenant   = "tenant"
	kindRegion   = "region"
	kindFunder   = "funder"
	kindPlatform = "platform"

	// PlatformDomain is where platform operators hold their role and act.
	PlatformDomain = "platform"
)

// TenantDomain is the domain of a tenant (a PHO or a practice).
func TenantDomain(id uuid.UUID) string { return kindTenant + ":" + id.String() }

// RegionDomain is the domain of a region.
func RegionDomain(id uuid.UUID) string { return kindRegion + ":" + id.String() }

// FunderDomain is the domain of a funder organisation.
func FunderDomain(id uuid.UUID) string { return kindFunder + ":" + id.String() }

// domainKind returns the kind of a well-formed domain, or "" for anything
// else. Ids must be in canonical form (lower-case, hyphenated) so that one
// domain has exactly one spelling, and the nil uuid names nothing.
func domainKind(d string) string {
	if d == PlatformDomain {
		return kindPlatform
	}
	kind, id, ok := strings.Cut(d, ":")
	if !ok || (kind != kindTenant && kind != kindRegion && kind != kindFunder) || len(id) != 36 {
		return ""
	}
	u, err := uuid.Parse(id)
	if err != nil || u == uuid.Nil || u.String() != id {
		return ""
	}
	return kind
}

// homeOf returns the domain kind role is held in, or "" for an unknown role.
func homeOf(role string) string {
	for _, r := range roles {
		if r.name == role {
			return r.home
		}
	}
	return ""
}

// pattern is the domain pattern of a home kind as written in policy.csv.
func pattern(kind string) string {
	if kind == kindPlatform {
		return PlatformDomain
	}
	return kind + ":*"
}

// admits reports whether object takes action.
func admits(object, action string) bool {
	for _, o := range objects {
		if o.name == object {
			for _, a := range o.actions {
				if a == action {
					return true
				}
			}
		}
	}
	return false
}

// validUser reports whether s is a canonical, non-nil uuid: the only subject
// a user→role link may name.
func validUser(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u != uuid.Nil && u.String() == s
}
