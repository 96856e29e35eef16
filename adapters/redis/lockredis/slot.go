package lockredis

import (
	"slices"
	"strings"
)

// slotOf is the Redis Cluster hash slot of a lock name's keys: CRC16 (XMODEM) of the hash tag, which is the
// name itself, modulo 16384.
func slotOf(name string) int {
	var crc uint16
	for i := 0; i < len(name); i++ {
		crc ^= uint16(name[i]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) & 16383
}

// oneName is the grouping of a single name; callers only read groupings.
var oneName = [][]int{{0}}

// groupBySlot splits names into the groups one script may take atomically: all of them on a single node,
// one group per hash slot on a cluster. Groups come in a fixed order (by their smallest name), so two
// requests sharing names take them in the same order. Each group lists indexes into names.
func groupBySlot(names []string, cluster bool) [][]int {
	if len(names) == 1 {
		return oneName
	}
	all := make([]int, len(names))
	for i := range names {
		all[i] = i
	}
	if !cluster {
		return [][]int{all}
	}
	slices.SortFunc(all, func(a, b int) int {
		if sa, sb := slotOf(names[a]), slotOf(names[b]); sa != sb {
			return sa - sb
		}
		return strings.Compare(names[a], names[b])
	})
	var groups [][]int
	for i, idx := range all {
		if i == 0 || slotOf(names[idx]) != slotOf(names[all[i-1]]) {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], idx)
	}
	slices.SortFunc(groups, func(a, b []int) int { return strings.Compare(names[a[0]], names[b[0]]) })
	return groups
}
