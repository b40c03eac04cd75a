// Package calendar owns the read models of time: a practitioner's day and
// week, the practice day board, a person's timeline, and the iCalendar feed a
// practitioner subscribes to behind a secret URL (with the feed secrets).
//
// Each view is read inside the tenant wall, its appointments in one statement
// (ReadInTenant); the schedule blocks come from models/schedule.Expand, so the
// daylight-saving rules live in one place. It must never write appointments
// (models/booking does), never read across tenants, and never put a patient's
// name or other identifying detail into a feed, which leaves the practice for
// phones and third-party calendar services.
package calendar
