package outbox

import "context"

// ClaimForTest claims due messages as DeliverOnce would and then does
// nothing with them: a deliverer that died right after its claim.
func (dl *Deliverer) ClaimForTest(ctx context.Context) ([]Email, error) {
	batch, err := dl.claim(ctx)
	out := make([]Email, len(batch))
	for i, c := range batch {
		out[i] = c.email
	}
	return out, err
}
