package featuresets

import (
	"strings"
	"unicode"
)

// maxTokensPerPackage bounds the bag of words of one package: beyond it,
// further tokens are not counted (huge generated files add nothing).
const maxTokensPerPackage = 200_000

// addTokens splits s into lower-case word tokens and counts them. Words
// split on anything that is not a letter or digit, and on camelCase
// boundaries; tokens of 2–24 characters with at least one letter are kept.
func (c *codeFacts) addTokens(s string) {
	if c.tokenCount >= maxTokensPerPackage {
		return
	}
	if c.tokens == nil {
		c.tokens = map[string]int{}
	}
	start := -1
	var prev rune
	flush := func(end int) {
		if start >= 0 {
			c.addToken(s[start:end])
			start = -1
		}
	}
	for i, r := range s {
		alnum := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !alnum {
			flush(i)
			prev = r
			continue
		}
		// camelCase: a lower-case letter or digit followed by an upper-case one.
		if start >= 0 && unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			flush(i)
		}
		if start < 0 {
			start = i
		}
		prev = r
	}
	flush(len(s))
}

func (c *codeFacts) addToken(t string) {
	if len(t) < 2 || len(t) > 24 {
		return
	}
	hasLetter := false
	for i := 0; i < len(t); i++ {
		if b := t[i]; b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' {
			hasLetter = true
			break
		}
	}
	if !hasLetter {
		return
	}
	c.tokens[strings.ToLower(t)]++
	c.tokenCount++
}
