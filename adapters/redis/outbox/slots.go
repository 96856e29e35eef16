package outbox

import (
	"strings"
	"sync"
)

// SlotCount is the number of hash slots of a Redis Cluster.
const SlotCount = 16384

// Slot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of the key, or of its hash tag when it has one
// (the content of the first "{...}" whose content is not empty), modulo 16,384.
func Slot(key string) int {
	return int(crc16(hashTag(key))) % SlotCount
}

// hashTag is the part of key that Redis hashes: the text between the first "{" and the first "}" after it,
// when that text is not empty; else the whole key.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the checksum Redis Cluster uses.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// tagAlphabet spells the slot tags: short, and safe inside a key, a hash tag and an envelope id.
const tagAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

var (
	tagsOnce sync.Once
	tags     []string
)

// slotTags is the table of one tag per slot: slotTags()[s] hashes to slot s, and is the shortest such string
// over tagAlphabet (the first found counting up by length). Every slot is reached within four characters.
func slotTags() []string {
	tagsOnce.Do(func() {
		tags = make([]string, SlotCount)
		left := SlotCount
		buf := make([]byte, 0, 4)
		var walk func(depth int)
		walk = func(depth int) {
			if left == 0 {
				return
			}
			if len(buf) == depth {
				s := string(buf)
				if slot := Slot(s); tags[slot] == "" {
					tags[slot] = s
					left--
				}
				return
			}
			for i := 0; i < len(tagAlphabet) && left > 0; i++ {
				buf = append(buf, tagAlphabet[i])
				walk(depth)
				buf = buf[:len(buf)-1]
			}
		}
		for depth := 1; left > 0; depth++ {
			walk(depth)
		}
	})
	return tags
}
