// Package fault is the small error vocabulary every layer speaks: not found,
// conflict, forbidden, invalid (with a message per field) and unavailable.
// Domain code returns these (wrapped with %w); the one HTTP error handler maps
// them to status codes. It imports nothing of Tūhono's and never carries
// internal text to a client: Error() is for logs, Public() is for people.
package fault
