package flag

// Buckets is how finely percentages are resolved: a user falls in one of 100,000 buckets, so a percentage
// has three decimals (12.345%).
const Buckets = 100_000

// Salts keep the rollout hash and the variant hash of one flag independent: which users a percentage lets
// in says nothing about which variant they get.
const (
	saltRollout = "rollout"
	saltVariant = "variant"
)

// seed is FNV-1a 64 over the flag key and a salt (each followed by a 0 byte, so "ab"+"c" and "a"+"bc"
// differ). It depends only on the flag, so compiled flags keep it and hash only the user id per evaluation.
func seed(flagKey, salt string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(flagKey); i++ {
		h = (h ^ uint64(flagKey[i])) * prime
	}
	h *= prime
	for i := 0; i < len(salt); i++ {
		h = (h ^ uint64(salt[i])) * prime
	}
	return h * prime
}

// hashID mixes id into a flag's seed eight bytes at a time and finishes with the SplitMix64 mixer, so
// nearby ids (user-1, user-2) spread evenly. It is stable across processes and versions: a user keeps its
// bucket for as long as the flag keeps its key.
func hashID(seed uint64, id string) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := seed ^ uint64(len(id))*m
	for len(id) >= 8 {
		v := uint64(id[0]) | uint64(id[1])<<8 | uint64(id[2])<<16 | uint64(id[3])<<24 |
			uint64(id[4])<<32 | uint64(id[5])<<40 | uint64(id[6])<<48 | uint64(id[7])<<56
		h = (h ^ v) * m
		h ^= h >> 29
		id = id[8:]
	}
	var v uint64
	for i := 0; i < len(id); i++ {
		v |= uint64(id[i]) << (8 * i)
	}
	h = (h ^ v) * m
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// Bucket is the rollout bucket of a user for a flag, in [0, Buckets): a percentage condition of p holds
// exactly for the users whose bucket is below p*1000. Exposed for tests and tooling.
func Bucket(flagKey, userID string) uint32 {
	return uint32(hashID(seed(flagKey, saltRollout), userID) % Buckets)
}
