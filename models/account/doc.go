// Package account owns people and their access: users, memberships, sign-in
// with throttling, sessions, MFA (TOTP and recovery codes), API tokens,
// invitations and password resets. Every change that matters is audited, and
// every e-mail goes through the outbox after commit.
//
// Passwords, tokens and recovery codes are stored hashed only; a TOTP secret
// is sealed with the server's key. This package must never log a password,
// token or code, and never decides permissions: which role may do what is
// policy's; whether this person holds a live membership is decided here.
package account
