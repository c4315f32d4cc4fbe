// go-vcr v4's cassette structs (gopkg.in/dnaeon/go-vcr.v4/pkg/cassette), field names,
// types and yaml tags as go-vcr declares them (docs/cassettes.md#schema).
// go-vcr is not packaged for Debian, so the declarations are copied here; only the fields
// that reach the file are kept (Name, File, replay state and matchers are yaml:"-").
package main

import (
	"net/http"
	"net/url"
	"time"
)

// Request is go-vcr's cassette.Request.
type Request struct {
	Proto            string      `yaml:"proto"`
	ProtoMajor       int         `yaml:"proto_major"`
	ProtoMinor       int         `yaml:"proto_minor"`
	ContentLength    int64       `yaml:"content_length"`
	TransferEncoding []string    `yaml:"transfer_encoding,omitempty"`
	Trailer          http.Header `yaml:"trailer,omitempty"`
	Host             string      `yaml:"host"`
	RemoteAddr       string      `yaml:"remote_addr,omitempty"`
	RequestURI       string      `yaml:"request_uri,omitempty"`
	Body             string      `yaml:"body,omitempty"`
	Form             url.Values  `yaml:"form,omitempty"`
	Headers          http.Header `yaml:"headers,omitempty"`
	URL              string      `yaml:"url"`
	Method           string      `yaml:"method"`
}

// Response is go-vcr's cassette.Response.
type Response struct {
	Proto            string        `yaml:"proto"`
	ProtoMajor       int           `yaml:"proto_major"`
	ProtoMinor       int           `yaml:"proto_minor"`
	TransferEncoding []string      `yaml:"transfer_encoding,omitempty"`
	Trailer          http.Header   `yaml:"trailer,omitempty"`
	ContentLength    int64         `yaml:"content_length"`
	Uncompressed     bool          `yaml:"uncompressed,omitempty"`
	Body             string        `yaml:"body"`
	Headers          http.Header   `yaml:"headers"`
	Status           string        `yaml:"status"`
	Code             int           `yaml:"code"`
	Duration         time.Duration `yaml:"duration"`
}

// Interaction is go-vcr's cassette.Interaction (DiscardOnSave and replay state are yaml:"-").
type Interaction struct {
	ID       int      `yaml:"id"`
	Request  Request  `yaml:"request"`
	Response Response `yaml:"response"`
}

// Cassette is go-vcr's cassette.Cassette as far as the file goes.
type Cassette struct {
	Version      int            `yaml:"version"`
	Interactions []*Interaction `yaml:"interactions"`
}

// The JSON mirror exchanged with pytest: bodies as []byte (base64 in JSON) because a Go
// string body may hold any bytes; durations as integer nanoseconds.

type jsonRequest struct {
	Proto            string              `json:"proto"`
	ProtoMajor       int                 `json:"proto_major"`
	ProtoMinor       int                 `json:"proto_minor"`
	ContentLength    int64               `json:"content_length"`
	TransferEncoding []string            `json:"transfer_encoding"`
	Trailer          map[string][]string `json:"trailer"`
	Host             string              `json:"host"`
	RemoteAddr       string              `json:"remote_addr"`
	RequestURI       string              `json:"request_uri"`
	Body             []byte              `json:"body"`
	Form             map[string][]string `json:"form"`
	Headers          map[string][]string `json:"headers"`
	URL              string              `json:"url"`
	Method           string              `json:"method"`
}

type jsonResponse struct {
	Proto            string              `json:"proto"`
	ProtoMajor       int                 `json:"proto_major"`
	ProtoMinor       int                 `json:"proto_minor"`
	TransferEncoding []string            `json:"transfer_encoding"`
	Trailer          map[string][]string `json:"trailer"`
	ContentLength    int64               `json:"content_length"`
	Uncompressed     bool                `json:"uncompressed"`
	Body             []byte              `json:"body"`
	Headers          map[string][]string `json:"headers"`
	Status           string              `json:"status"`
	Code             int                 `json:"code"`
	DurationNS       int64               `json:"duration_ns"`
}

type jsonInteraction struct {
	ID       int          `json:"id"`
	Request  jsonRequest  `json:"request"`
	Response jsonResponse `json:"response"`
}

type jsonCassette struct {
	Version      int                `json:"version"`
	Interactions []*jsonInteraction `json:"interactions"`
}

func toJSON(c *Cassette) *jsonCassette {
	out := &jsonCassette{Version: c.Version, Interactions: []*jsonInteraction{}}
	for _, it := range c.Interactions {
		if it == nil {
			out.Interactions = append(out.Interactions, nil)
			continue
		}
		q, r := it.Request, it.Response
		out.Interactions = append(out.Interactions, &jsonInteraction{
			ID: it.ID,
			Request: jsonRequest{q.Proto, q.ProtoMajor, q.ProtoMinor, q.ContentLength,
				q.TransferEncoding, q.Trailer, q.Host, q.RemoteAddr, q.RequestURI,
				[]byte(q.Body), q.Form, q.Headers, q.URL, q.Method},
			Response: jsonResponse{r.Proto, r.ProtoMajor, r.ProtoMinor, r.TransferEncoding,
				r.Trailer, r.ContentLength, r.Uncompressed, []byte(r.Body), r.Headers,
				r.Status, r.Code, int64(r.Duration)},
		})
	}
	return out
}

func fromJSON(c *jsonCassette) *Cassette {
	out := &Cassette{Version: c.Version}
	for _, it := range c.Interactions {
		q, r := it.Request, it.Response
		out.Interactions = append(out.Interactions, &Interaction{
			ID: it.ID,
			Request: Request{q.Proto, q.ProtoMajor, q.ProtoMinor, q.ContentLength,
				q.TransferEncoding, q.Trailer, q.Host, q.RemoteAddr, q.RequestURI,
				string(q.Body), q.Form, q.Headers, q.URL, q.Method},
			Response: Response{r.Proto, r.ProtoMajor, r.ProtoMinor, r.TransferEncoding,
				r.Trailer, r.ContentLength, r.Uncompressed, string(r.Body), r.Headers,
				r.Status, r.Code, time.Duration(r.DurationNS)},
		})
	}
	return out
}
