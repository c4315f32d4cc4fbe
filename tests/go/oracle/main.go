// The Go oracle of pyfantasy's tests: reads one JSON request on stdin, answers on stdout.
//
//	{"mode": "decode", "files": [<base64 cassette bytes>...]}
//	    -> what go-vcr's structs hold after yaml.v3 and yaml/v4 decode each file
//	{"mode": "yaml", "cassettes": [<cassette JSON>...], "encoders": ["xvcr", "nowrap"]}
//	    -> each cassette encoded by yaml/v4 as charm.land/x/vcr does, and unfolded
//	{"mode": "json", "cases": [{"kind": ..., ...}...]}
//	    -> encoding/json's bytes or error text for each case
//	{"mode": "unicode"}
//	    -> the code point ranges of unicode.IsLetter and unicode.IsDigit (the YAML key sort)
//
// Many cases per process, so that thousands of random cases cost one process start.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"unicode"
)

type request struct {
	Mode      string          `json:"mode"`
	Files     [][]byte        `json:"files"`
	Cassettes []*jsonCassette `json:"cassettes"`
	Encoders  []string        `json:"encoders"`
	Cases     []jsonCase      `json:"cases"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var req request
	if err := json.Unmarshal(in, &req); err != nil {
		fail(err)
	}
	var out any
	switch req.Mode {
	case "decode":
		out = decodeAll(req.Files)
	case "yaml":
		out = encodeAll(req.Cassettes, req.Encoders)
	case "json":
		out = jsonAll(req.Cases)
	case "unicode":
		out = unicodeRanges()
	default:
		fail(fmt.Errorf("unknown mode %q", req.Mode))
	}
	data, err := json.Marshal(out)
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(data)
}

// unicodeRanges gives [first, last] ranges of the letters and of the decimal digits of
// this Go's Unicode tables (the classes yaml's keyList.Less compares by).
func unicodeRanges() map[string]any {
	ranges := func(is func(rune) bool) [][2]rune {
		var out [][2]rune
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if !is(r) {
				continue
			}
			if n := len(out); n > 0 && out[n-1][1] == r-1 {
				out[n-1][1] = r
			} else {
				out = append(out, [2]rune{r, r})
			}
		}
		return out
	}
	return map[string]any{"version": unicode.Version, "letter": ranges(unicode.IsLetter),
		"digit": ranges(unicode.IsDigit)}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "oracle:", err)
	os.Exit(2)
}
