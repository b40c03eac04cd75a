// Package schedule owns practitioners' schedules at a practice: weekly
// templates of typed blocks (open same-day capacity, booked, group, admin)
// with effective dates, exceptions (leave, training, sick) that take time out,
// and the expansion of both into concrete slots.
//
// Blocks are wall-clock times of an ISO weekday, never instants. Expand turns
// them into instants one local day at a time with time.Date in the tenant's
// IANA zone, so a 09:00 block stays 09:00 across daylight-saving changes
// (Pacific/Auckland and Pacific/Chatham change on the same instants). A
// wall-clock time that does not exist (the spring-forward gap) becomes the
// first instant that does; an ambiguous one (fall-back) the first of the two.
//
// A HIP who works at several practices has a template in each tenant; this
// package never looks across tenants. It reaches the database only through
// db.InTenant, so a foreign id is simply not found. It books nothing (that is
// booking) and knows nothing of HTTP.
package schedule
