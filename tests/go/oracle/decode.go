// Decode mode: what go-vcr's replayer sees. go-vcr v4 loads cassettes with gopkg.in/yaml.v3;
// the file is also decoded with go.yaml.in/yaml/v4 (x/vcr's library) and both are reported.
package main

import (
	yamlv4 "go.yaml.in/yaml/v4"
	yamlv3 "gopkg.in/yaml.v3"
)

type decoded struct {
	V3    *jsonCassette `json:"v3"`
	V3Err string        `json:"v3_err"`
	V4    *jsonCassette `json:"v4"`
	V4Err string        `json:"v4_err"`
}

func decodeAll(files [][]byte) []decoded {
	out := make([]decoded, 0, len(files))
	for _, data := range files {
		var d decoded
		var c3, c4 Cassette
		if err := yamlv3.Unmarshal(data, &c3); err != nil {
			d.V3Err = err.Error()
		} else {
			d.V3 = toJSON(&c3)
		}
		if err := yamlv4.Unmarshal(data, &c4); err != nil {
			d.V4Err = err.Error()
		} else {
			d.V4 = toJSON(&c4)
		}
		out = append(out, d)
	}
	return out
}
