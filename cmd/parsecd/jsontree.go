package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A jsonNode is one JSON value of a file with its position, so that an error
// about any value can name the line it is on. Objects keep their keys in file
// order.
type jsonNode struct {
	start, end int64 // byte offsets of the value's first byte and just past its last
	kind       byte  // '{', '[', '"' (string), '0' (number), 'b' (bool), 'n' (null)
	str        string
	num        json.Number
	b          bool
	keys       []string
	keyOffs    []int64
	vals       []*jsonNode // object values, parallel to keys
	elems      []*jsonNode // array elements
}

func (n *jsonNode) kindName() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}

// posError is an error at a position of a file; Error gives
// FILE:LINE:COL: FIELD: MSG, the form editors jump to.
type posError struct {
	file      string
	line, col int
	field     string // a path such as parameters[2].type; empty for syntax errors
	msg       string
}

func (e *posError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, e.msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.file, e.line, e.col, e.field, e.msg)
}

// lineCol converts a byte offset of data to a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

type treeParser struct {
	dec  *json.Decoder
	data []byte
}

// parseJSONTree parses data, a whole JSON document, into a tree of nodes.
// A syntax error is a *posError without a field.
func parseJSONTree(file string, data []byte) (*jsonNode, error) {
	p := &treeParser{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	p.dec.UseNumber()
	n, err := p.value()
	if err != nil {
		return nil, p.syntax(file, err, p.dec.InputOffset())
	}
	switch _, off, err := p.token(); {
	case err == io.EOF:
	case err != nil:
		return nil, p.syntax(file, err, off)
	default:
		line, col := lineCol(data, off)
		return nil, &posError{file: file, line: line, col: col, msg: "invalid JSON: unexpected data after the top-level value"}
	}
	return n, nil
}

func (p *treeParser) syntax(file string, err error, off int64) error {
	var se *json.SyntaxError
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		off = p.offendingByte(se)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		off, msg = int64(len(p.data)), "unexpected end of file"
	}
	line, col := lineCol(p.data, off)
	return &posError{file: file, line: line, col: col, msg: "invalid JSON: " + msg}
}

// offendingByte returns the offset of the byte a syntax error is about.
// encoding/json's offsets are exact for errors between values but only
// approximate (the value's start, give or take one) for errors inside a
// literal when the document is read a token at a time; json.Unmarshal
// checks the whole document first, and its offset is just past the byte
// it refused. Both read with the same scanner, so they stop at the same
// byte.
func (p *treeParser) offendingByte(se *json.SyntaxError) int64 {
	var v any
	var whole *json.SyntaxError
	if err := json.Unmarshal(p.data, &v); errors.As(err, &whole) {
		return min(max(whole.Offset-1, 0), int64(len(p.data)))
	}
	return min(max(se.Offset, 0), int64(len(p.data)))
}

// token reads the next token and the offset of its first byte.
func (p *treeParser) token() (json.Token, int64, error) {
	off := p.dec.InputOffset()
	tok, err := p.dec.Token()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return tok, off, err
}

func (p *treeParser) value() (*jsonNode, error) {
	tok, off, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.valueFrom(tok, off)
}

func (p *treeParser) valueFrom(tok json.Token, off int64) (*jsonNode, error) {
	n := &jsonNode{start: off}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = '{'
			for p.dec.More() {
				ktok, koff, err := p.token()
				if err != nil {
					return nil, err
				}
				k, _ := ktok.(string)
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.keys, n.keyOffs, n.vals = append(n.keys, k), append(n.keyOffs, koff), append(n.vals, v)
			}
		case '[':
			n.kind = '['
			for p.dec.More() {
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
		default:
			return nil, &json.SyntaxError{Offset: off + 1}
		}
		if _, _, err := p.token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = '"', t
	case json.Number:
		n.kind, n.num = '0', t
	case bool:
		n.kind, n.b = 'b', t
	case nil:
		n.kind = 'n'
	}
	n.end = p.dec.InputOffset()
	return n, nil
}
