// Package keys encrypts clinical content at rest with envelope encryption:
// each tenant has its own data key (AES-256-GCM), stored only wrapped by a
// master key that is never in the database. A Provider holds the master
// keys; Local reads them from configuration, and a cloud KMS can take its
// place behind the same interface. Rotate re-wraps every data key under the
// current master key without touching the data or stopping the server: a
// wrapped key records which master key wrapped it, and a Provider keeps the
// previous keys until rotation is done.
//
// A ciphertext is bound to where it lives by associated data (the tenant,
// the table, the row and the field), so a value copied to another row or
// tenant fails to open rather than being read in the wrong place.
package keys
