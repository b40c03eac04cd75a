// Package policy answers one question: may this user, in this domain, take
// this action on this kind of thing ("may a HIP sign a note in this
// practice"). It owns Tūhono's Casbin model (model.conf), the role
// permissions (policy.csv: shared templates, one line per thing a role may
// do, the same for every tenant), the user→role and domain→parent links in
// the casbin_rule table, and Check(ctx, object, action) against the actor
// and tenant in ctx. Domains are tenant:<id>, region:<id>, funder:<id> and
// platform; a tenant inherits the regional admins of its region and the
// funders of its contracts.
//
// It must never:
//   - decide about one record: "may this HIP amend this signed note", "is this
//     patient enrolled here", "did this person write it" are domain rules in
//     models/, beside the record, read through db.InTenant;
//   - copy a template per tenant, or store templates in the database (a
//     check would grow with the tenant count; a row could widen a role);
//   - cache an allow past a revocation (the synced, not the cached, enforcer);
//   - import anything of Tūhono's but tenants and models/fault. It is the one
//     package outside models/ that imports GORM: gorm-adapter needs a
//     *gorm.DB, and the only one it gets is OpenDB's, a pool dedicated to
//     casbin_rule;
//   - read or write any table but casbin_rule.
package policy
