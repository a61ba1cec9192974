// Package spell tells what a mistyped name was meant to be: the did-you-mean
// of unknown inputs, variables, flags, rule ids and pack.json fields.
package spell

import "strings"

// Suggest returns the candidate closest to a mistyped name, or "" when none
// is close: the same letters without case and separators ('-', '_'), or at
// most a third of the letters (at most 3) edited.
func Suggest(name string, candidates []string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '-' || r == '_' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	n := norm(name)
	best, bestDist := "", max(1, min(3, len(n)/3))+1
	for _, c := range candidates {
		if d := Distance(n, norm(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance of a and b, in bytes: the fewest
// single-byte insertions, deletions and substitutions that turn a into b.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
