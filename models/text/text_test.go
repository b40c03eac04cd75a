package text_test

import (
	"strings"
	"testing"

	"github.com/tuhono/tuhono/models/text"
)

func TestClean(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"  Kia ora  ", "Kia ora", true},
		{"wha\u0304nau", "whānau", true}, // NFD in, NFC out
		{strings.Repeat("ā", 10), strings.Repeat("ā", 10), true},
		{strings.Repeat("ā", 11), "", false},
		{"a\x00b", "", false},
		{"\xff", "", false},
		{"", "", true},
	}
	for _, c := range cases {
		got, msg := text.Clean(c.in, 10)
		if (msg == "") != c.ok || got != c.want {
			t.Errorf("Clean(%q) = %q, %q; want %q, ok %v", c.in, got, msg, c.want, c.ok)
		}
	}
}
