// Package nearname finds the name nearest a misspelt one: the flag the
// user meant, the IAM action a policy meant to name.
package nearname

// Distance is the Levenshtein distance between a and b (bytes).
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Nearest is the candidate nearest name within max edits, preferring one
// that name begins (a flag cut short); "" when none is that near.
func Nearest(name string, candidates []string, max int) string {
	best, bestD := "", max+1
	for _, c := range candidates {
		d := Distance(name, c)
		if len(name) >= 3 && len(c) > len(name) && c[:len(name)] == name {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
