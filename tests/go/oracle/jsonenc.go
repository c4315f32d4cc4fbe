// JSON mode: encoding/json's answer for each case.
//
//	quote    json.Marshal(string(b))
//	float    json.Marshal(math.Float64frombits(bits))
//	compact  json.Marshal(json.RawMessage(b))  (Go compacts and HTML-escapes raw messages)
//	syntax   the error of json.Compact(b): the scanner's SyntaxError text ("" when valid)
//	object   json.Unmarshal(b, &map[string]any{}), then json.Marshal of the map
//	tree     json.Marshal of a typed tree (see node)
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

type jsonCase struct {
	Kind string `json:"kind"`
	B    []byte `json:"b"`
	Bits string `json:"bits"`
	Tree *node  `json:"tree"`
}

type jsonResult struct {
	Out []byte `json:"out"`
	Err string `json:"err"`
}

// node is a Go value described by pytest: exactly one field is set.
//
//	N null, T bool, I integer (decimal text), F float64 (hex of its bits), S string (bytes),
//	Y []byte, R json.RawMessage, A slice, M map[string]any, O struct (fields in order).
type node struct {
	N bool      `json:"n"`
	T *bool     `json:"t"`
	I string    `json:"i"`
	F string    `json:"f"`
	S []byte    `json:"s"`
	Y []byte    `json:"y"`
	R []byte    `json:"r"`
	A []*node   `json:"a"`
	M []*member `json:"m"`
	O []*member `json:"o"`
}

type member struct {
	K []byte `json:"k"`
	V *node  `json:"v"`
}

// object is a Go struct: its fields are written in declaration order, each with
// encoding/json's own encoding of the key and of the value.
type object []*member

func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(string(m.K))
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(m.V.value())
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (n *node) value() any {
	switch {
	case n == nil || n.N:
		return nil
	case n.T != nil:
		return *n.T
	case n.I != "":
		if v, err := strconv.ParseInt(n.I, 10, 64); err == nil {
			return v
		}
		if v, err := strconv.ParseUint(n.I, 10, 64); err == nil {
			return v
		}
		panic("integer out of range: " + n.I)
	case n.F != "":
		bits, err := strconv.ParseUint(n.F, 16, 64)
		if err != nil {
			panic(err)
		}
		return math.Float64frombits(bits)
	case n.S != nil:
		return string(n.S)
	case n.Y != nil:
		return n.Y
	case n.R != nil:
		return json.RawMessage(n.R)
	case n.A != nil:
		out := make([]any, len(n.A))
		for i, x := range n.A {
			out[i] = x.value()
		}
		return out
	case n.M != nil:
		out := make(map[string]any, len(n.M))
		for _, m := range n.M {
			out[string(m.K)] = m.V.value()
		}
		return out
	case n.O != nil:
		return object(n.O)
	}
	panic(fmt.Sprintf("empty node %+v", *n))
}

func jsonAll(cases []jsonCase) []jsonResult {
	out := make([]jsonResult, 0, len(cases))
	for _, c := range cases {
		out = append(out, jsonOne(c))
	}
	return out
}

func result(data []byte, err error) jsonResult {
	if err != nil {
		return jsonResult{Err: err.Error()}
	}
	return jsonResult{Out: data}
}

func jsonOne(c jsonCase) jsonResult {
	switch c.Kind {
	case "quote":
		return result(json.Marshal(string(c.B)))
	case "float":
		bits, err := strconv.ParseUint(c.Bits, 16, 64)
		if err != nil {
			panic(err)
		}
		return result(json.Marshal(math.Float64frombits(bits)))
	case "compact":
		return result(json.Marshal(json.RawMessage(c.B)))
	case "syntax":
		var buf bytes.Buffer
		if err := json.Compact(&buf, c.B); err != nil {
			return jsonResult{Err: err.Error()}
		}
		return jsonResult{Out: []byte{}}
	case "object":
		var m map[string]any
		if err := json.Unmarshal(c.B, &m); err != nil {
			return jsonResult{Err: err.Error()}
		}
		if m == nil { // "null" leaves the map nil; pyfantasy reports it as the empty map
			m = map[string]any{}
		}
		return result(json.Marshal(m))
	case "tree":
		data, err := json.Marshal(c.Tree.value())
		// object stands in for a Go struct: drop the wrapper its MarshalJSON adds to errors
		var me *json.MarshalerError
		for errors.As(err, &me) && me.Type == reflect.TypeOf(object{}) {
			err = me.Err
		}
		return result(data, err)
	}
	panic("unknown kind " + c.Kind)
}
