package protect

import (
	"bytes"
	"cmp"
	"math/bits"
	"slices"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/report"
)

// ikey is a cell's key as numbers: practice, line, measure, breakdown and
// group, each numbered in the sort order of its values (practices by their
// bytes, the rest as strings), so comparing ikeys orders cells as comparing
// their keys field by field does. A region's report has a quarter of a million cells:
// hashing and comparing these is several times cheaper than the strings.
type ikey [5]uint32

const (
	fPractice = iota
	fLine
	fMeasure
	fDim
	fGroup
)

func (a ikey) compare(b ikey) int {
	for f := range a {
		if c := cmp.Compare(a[f], b[f]); c != 0 {
			return c
		}
	}
	return 0
}

// keys numbers the keys of a report's cells.
type keys struct {
	of []ikey // each cell's
	// The cell with each key: by packed key when the keys pack, else by
	// ikey (a 64-bit key hashes and compares several times faster).
	byPacked map[uint64]int32
	byKey    map[ikey]int32
	// ids of each field's values; a value no cell has is absent.
	ids [5]map[string]uint32
	// practice ids by UUID.
	practices map[uuid.UUID]uint32
	// packed is each key as one number in the same order, nil when the
	// fields do not fit in 64 bits; width is each field's bits in it.
	packed []uint64
	width  [5]uint
}

func newKeys(cells []report.Cell) *keys {
	k := &keys{of: make([]ikey, len(cells)), practices: map[uuid.UUID]uint32{}}
	// First number the values as they come, remembering the last value of
	// each field (neighbouring cells mostly share them); then renumber in
	// sort order.
	var seen [5][]string
	for f := fLine; f <= fGroup; f++ {
		k.ids[f] = map[string]uint32{}
	}
	var ps []uuid.UUID
	var lastP uuid.UUID
	lastPID := uint32(0)
	var last [5]string
	var lastID [5]uint32
	var have [5]bool
	for i := range cells {
		c := &cells[i].Key
		if i == 0 || c.Practice != lastP {
			id, ok := k.practices[c.Practice]
			if !ok {
				id = uint32(len(ps))
				k.practices[c.Practice] = id
				ps = append(ps, c.Practice)
			}
			lastP, lastPID = c.Practice, id
		}
		k.of[i][fPractice] = lastPID
		for f, v := range [...]string{fLine: c.Line, fMeasure: c.Measure, fDim: c.Dim, fGroup: c.Group} {
			if f == fPractice {
				continue
			}
			if !have[f] || v != last[f] {
				id, ok := k.ids[f][v]
				if !ok {
					id = uint32(len(seen[f]))
					k.ids[f][v] = id
					seen[f] = append(seen[f], v)
				}
				last[f], lastID[f], have[f] = v, id, true
			}
			k.of[i][f] = lastID[f]
		}
	}
	// Renumber: rank[f][provisional id] is the value's place in sort order.
	var rank [5][]uint32
	order := make([]uint32, len(ps))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return bytes.Compare(ps[a][:], ps[b][:]) })
	rank[fPractice] = make([]uint32, len(ps))
	for place, id := range order {
		rank[fPractice][id] = uint32(place)
		k.practices[ps[id]] = uint32(place)
	}
	for f := fLine; f <= fGroup; f++ {
		vs := seen[f]
		order := make([]uint32, len(vs))
		for i := range order {
			order[i] = uint32(i)
		}
		slices.SortFunc(order, func(a, b uint32) int { return cmp.Compare(vs[a], vs[b]) })
		rank[f] = make([]uint32, len(vs))
		for place, id := range order {
			rank[f][id] = uint32(place)
			k.ids[f][vs[id]] = uint32(place)
		}
	}
	// Each key as one number too, when the fields' widths fit in 64 bits
	// (a report would need millions of practices not to): one comparison
	// instead of five.
	width, total := [5]uint{}, uint(0)
	for f := range rank {
		width[f] = uint(bits.Len(uint(len(rank[f]))))
		total += width[f]
	}
	k.width = width
	if total <= 64 {
		k.packed = make([]uint64, len(cells))
		k.byPacked = make(map[uint64]int32, len(cells))
	} else {
		k.byKey = make(map[ikey]int32, len(cells))
	}
	for i := range k.of {
		for f := range k.of[i] {
			k.of[i][f] = rank[f][k.of[i][f]]
		}
		if k.packed != nil {
			k.packed[i] = k.pack(k.of[i])
			k.byPacked[k.packed[i]] = int32(i)
		} else {
			k.byKey[k.of[i]] = int32(i)
		}
	}
	return k
}

func (k *keys) pack(key ikey) uint64 {
	var packed uint64
	for f, v := range key {
		packed = packed<<k.width[f] | uint64(v)
	}
	return packed
}

// find returns the cell with this key.
func (k *keys) find(key ikey) (int, bool) {
	var i int32
	var ok bool
	if k.packed != nil {
		i, ok = k.byPacked[k.pack(key)]
	} else {
		i, ok = k.byKey[key]
	}
	return int(i), ok
}

// compare orders cells i and j by key.
func (k *keys) compare(i, j int) int {
	if k.packed != nil {
		return cmp.Compare(k.packed[i], k.packed[j])
	}
	return k.of[i].compare(k.of[j])
}

// with finds the cell whose key is cell i's with field f set to value.
func (k *keys) with(i, f int, value string) (int, bool) {
	id, ok := k.ids[f][value]
	if !ok {
		return 0, false
	}
	key := k.of[i]
	key[f] = id
	return k.find(key)
}

// additive is a set of cells that sum (at most) to a parent cell, for one
// measure: were exactly one member withheld and the rest and the parent
// published, subtraction would recover it.
type additive struct {
	parent  int
	members []int // in key order
}

// complement adds complementary suppressions to why until no additive group
// with a published parent has exactly one withheld member (a fixed point:
// each suppression can expose another group, so it repeats). The groups, for
// count measures only:
//  1. one practice, line and additive breakdown: its groups, under the total;
//  2. one line, breakdown and group: each practice, under all practices;
//  3. one practice, breakdown and group: each service line, under all lines.
//     A person seen by two lines counts once in all, so the lines can sum to
//     more than the parent; treating them as additive anyway only withholds
//     more, never less.
func complement(r *report.Report, metrics []*report.Metric, why []reason, ks *keys) {
	groups := additiveGroups(r, metrics, ks)
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			if why[g.parent] != shown {
				continue
			}
			hidden := 0
			for _, i := range g.members {
				if why[i] != shown {
					hidden++
				}
			}
			if hidden != 1 {
				continue
			}
			why[partner(r, g, why)] = complementary
			changed = true
		}
	}
}

// partner picks the cell to withhold beside a group's one withheld member:
// the smallest non-zero published member (the least information lost), else
// the smallest member, else, with no other member, the parent. Members are in
// key order and only a strictly smaller figure replaces a pick, so ties go to
// the first key.
func partner(r *report.Report, g additive, why []reason) int {
	pick, pickZero := -1, -1
	for _, i := range g.members {
		if why[i] != shown {
			continue
		}
		f := r.Cells[i].Figure
		if f > 0 && (pick < 0 || f < r.Cells[pick].Figure) {
			pick = i
		}
		if pickZero < 0 || f < r.Cells[pickZero].Figure {
			pickZero = i
		}
	}
	switch {
	case pick >= 0:
		return pick
	case pickZero >= 0:
		return pickZero
	}
	return g.parent
}

// additiveGroups builds the groups complement checks, ordered by rule and
// then by the parent's key, so the outcome does not depend on the order of
// the report's cells. A group whose parent cell is not in the report (or is
// not a count) is left out: there is no published total to subtract from.
func additiveGroups(r *report.Report, metrics []*report.Metric, ks *keys) []additive {
	counted := func(i int) bool { return metrics[i] != nil && isCount(metrics[i].Kind) }
	additiveDim := map[string]bool{}
	for _, d := range report.Dimensions {
		additiveDim[d.ID] = d.Additive
	}
	// Each counted cell's parent under each rule (−1: none), then the
	// members of each parent's group, in one array per rule.
	order := make([]int32, 0, len(r.Cells))
	for i := range r.Cells {
		if counted(i) {
			order = append(order, int32(i))
		}
	}
	// Members join their groups in key order, so each group's members are
	// in key order.
	slices.SortFunc(order, func(a, b int32) int { return ks.compare(int(a), int(b)) })
	var parents [3][]int32
	for rule := range parents {
		parents[rule] = make([]int32, len(order))
	}
	allPractices, hasAll := ks.practices[uuid.Nil]
	for n, i32 := range order {
		i := int(i32)
		k := &r.Cells[i].Key
		p := [3]int{-1, -1, -1}
		if k.Dim != "" && additiveDim[k.Dim] {
			if j, ok := parentOf(ks, i); ok {
				p[0] = j
			}
		}
		if k.Practice != uuid.Nil && hasAll {
			key := ks.of[i]
			key[fPractice] = allPractices
			if j, ok := ks.find(key); ok {
				p[1] = j
			}
		}
		if k.Line != report.LineAll {
			if j, ok := ks.with(i, fLine, report.LineAll); ok {
				p[2] = j
			}
		}
		for rule, j := range p {
			if j >= 0 && !counted(j) {
				j = -1
			}
			parents[rule][n] = int32(j)
		}
	}
	var out []additive
	group := make([]int32, len(r.Cells)) // a parent's group, +1 (0: none yet)
	for rule := range parents {
		clear(group)
		var groups []additive
		sizes := []int{}
		for _, p := range parents[rule] {
			if p < 0 {
				continue
			}
			if group[p] == 0 {
				groups = append(groups, additive{parent: int(p)})
				sizes = append(sizes, 0)
				group[p] = int32(len(groups))
			}
			sizes[group[p]-1]++
		}
		// One array holds every group's members.
		flat := make([]int, 0, len(order))
		for g := range groups {
			groups[g].members = flat[len(flat) : len(flat) : len(flat)+sizes[g]]
			flat = flat[:len(flat)+sizes[g]]
		}
		for n, p := range parents[rule] {
			if p >= 0 {
				g := &groups[group[p]-1]
				g.members = append(g.members, int(order[n]))
			}
		}
		slices.SortFunc(groups, func(a, b additive) int { return ks.compare(a.parent, b.parent) })
		out = append(out, groups...)
	}
	return out
}

// parentOf is a breakdown group's total: cell i's key without its
// breakdown and group.
func parentOf(ks *keys, i int) (int, bool) {
	dim, ok := ks.ids[fDim][""]
	if !ok {
		return 0, false
	}
	group, ok := ks.ids[fGroup][""]
	if !ok {
		return 0, false
	}
	key := ks.of[i]
	key[fDim], key[fGroup] = dim, group
	return ks.find(key)
}
