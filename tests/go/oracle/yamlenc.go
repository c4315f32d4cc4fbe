// YAML mode: each cassette as Go writes it.
//   - "xvcr": go.yaml.in/yaml/v4 exactly as charm.land/x/vcr's marshal function uses it
//     (NewEncoder, SetIndent(2), CompactSeqIndent(), one Encode, never closed), with the
//     "---\n" go-vcr prepends: the file fantasy will record once x/vcr is on rc.5+.
//   - "nowrap": the same with WithLineWidth(-1), the rc.2/rc.3 setting (no folding).
//
// (gopkg.in/yaml.v3's encoder is no reference: it has no compact sequences and writes
// some strings otherwise, e.g. "\n" as a block; yaml.v3 serves as go-vcr's decoder.)
package main

import (
	"bytes"

	yamlv4 "go.yaml.in/yaml/v4"
)

type encoded struct {
	XVCR   []byte `json:"xvcr"`
	NoWrap []byte `json:"nowrap"`
	Err    string `json:"err"`
}

var encoders = map[string]func(*Cassette) ([]byte, error){
	"xvcr": xvcrMarshal, "nowrap": nowrapMarshal,
}

// encodeAll runs the named encoders (both when none is named) on every cassette.
func encodeAll(cassettes []*jsonCassette, names []string) []encoded {
	if len(names) == 0 {
		names = []string{"xvcr", "nowrap"}
	}
	out := make([]encoded, 0, len(cassettes))
	for _, jc := range cassettes {
		c := fromJSON(jc)
		var e encoded
		for _, name := range names {
			data, err := encoders[name](c)
			if err != nil && e.Err == "" {
				e.Err = name + ": " + err.Error()
			}
			switch name {
			case "xvcr":
				e.XVCR = data
			case "nowrap":
				e.NoWrap = data
			}
		}
		out = append(out, e)
	}
	return out
}

// xvcrMarshal is charm.land/x/vcr's marshal function, plus go-vcr's "---\n".
func xvcrMarshal(c *Cassette) ([]byte, error) {
	var buf bytes.Buffer
	enc := yamlv4.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return append([]byte("---\n"), buf.Bytes()...), nil
}

func nowrapMarshal(c *Cassette) ([]byte, error) {
	data, err := yamlv4.Dump(c, yamlv4.WithV3Defaults(), yamlv4.WithIndent(2),
		yamlv4.WithCompactSeqIndent(true), yamlv4.WithLineWidth(-1))
	if err != nil {
		return nil, err
	}
	return append([]byte("---\n"), data...), nil
}
