package storage

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A migration re-run lists every folder it checks, and the SDK's decoding
// of a ListObjectsV2 answer (encoding/xml, a token at a time) was a third of
// the re-run's CPU. withQuickListing decodes the answers of one
// ListObjectsV2 call with a plain scan of the few elements List reads
// instead, and hands an answer it does not fully understand (and every
// error answer) to the SDK's own decoder, unchanged.
func withQuickListing(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		sdk, ok := stack.Deserialize.Get(sdkDeserializer)
		if !ok {
			return nil // another SDK layout: its own decoder stays
		}
		_, err := stack.Deserialize.Swap(sdkDeserializer, quickListing{sdk: sdk})
		return err
	})
}

// sdkDeserializer is the ID of the SDK's step that decodes an answer.
const sdkDeserializer = "OperationDeserializer"

// maxQuickListing bounds the answer read into memory: 1,000 keys of the
// longest names S3 allows, with their other elements.
const maxQuickListing = 4 << 20

type quickListing struct {
	sdk middleware.DeserializeMiddleware
}

func (quickListing) ID() string { return sdkDeserializer }

func (q quickListing) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return q.sdk.HandleDeserialize(ctx, in, answered{out, md, err})
	}
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxQuickListing {
		buf.Grow(int(n) + bytes.MinRead) // read in one buffer, not grown by doubling
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxQuickListing+1))
	body := buf.Bytes()
	if err != nil || len(body) > maxQuickListing {
		// Not read whole: the SDK decodes what was read and whatever is
		// left, and reports the errors its own way.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return q.sdk.HandleDeserialize(ctx, in, answered{out, md, nil})
	}
	resp.Body.Close()
	if result, ok := parseListV2(body); ok {
		out.Result = result
		return out, md, nil
	}
	// Not understood: the SDK decodes the answer, read whole already.
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return q.sdk.HandleDeserialize(ctx, in, answered{out, md, nil})
}

// answered is a DeserializeHandler that returns an answer already received.
type answered struct {
	out middleware.DeserializeOutput
	md  middleware.Metadata
	err error
}

func (a answered) HandleDeserialize(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return a.out, a.md, a.err
}

// parseListV2 reads what List uses of a ListBucketResult: each object's
// Key, Size, ETag and LastModified, IsTruncated and NextContinuationToken.
// It reads a strict subset of XML: elements without attributes (the root's
// namespace declarations aside), character data with entities, nothing
// else. It reports false for anything outside that subset or that the SDK
// might read differently (comments, CDATA, processing instructions, a
// namespace prefix, a name that differs from one it reads only in case (the
// SDK matches names so), nesting deeper than an answer has, a stray end
// tag, a character XML forbids, keys in URL encoding, a malformed value in
// any element the SDK decodes, used here or not: see sdkValues), and the
// SDK then decodes the answer.
func parseListV2(body []byte) (*s3.ListObjectsV2Output, bool) {
	s := strings.TrimLeft(string(body), xmlSpace)
	if strings.HasPrefix(s, "<?xml") {
		end := strings.Index(s, "?>")
		if end < 0 || !xmlText(s[:end]) {
			return nil, false
		}
		s = strings.TrimLeft(s[end+2:], xmlSpace)
	}
	const root = "<ListBucketResult"
	end := strings.IndexByte(s, '>')
	if !strings.HasPrefix(s, root) || end < 0 || !namespaceOnly(s[len(root):end]) {
		return nil, false // another answer, a self-closed root, or attributes
	}
	s = s[end+1:]
	out := &s3.ListObjectsV2Output{Contents: make([]types.Object, 0, min(strings.Count(s, "<Contents>"), 1000))}
	for {
		s = strings.TrimLeft(s, xmlSpace)
		if rest, ok := strings.CutPrefix(s, "</ListBucketResult>"); ok {
			if strings.TrimLeft(rest, xmlSpace) != "" {
				return nil, false
			}
			return out, true
		}
		e, ok := nextElement(s, 1)
		if !ok || !sdkReads("ListBucketResult", e) {
			return nil, false
		}
		s = e.rest
		switch e.name {
		case "Contents":
			if e.obj.Key == nil {
				return nil, false
			}
			out.Contents = append(out.Contents, e.obj)
		case "IsTruncated":
			b, err := strconv.ParseBool(e.inner)
			if !e.leaf || err != nil {
				return nil, false
			}
			out.IsTruncated = aws.Bool(b)
		case "NextContinuationToken":
			v, ok := e.value()
			if !ok {
				return nil, false
			}
			out.NextContinuationToken = aws.String(v)
		case "KeyCount", "MaxKeys":
			if _, err := strconv.ParseInt(e.inner, 10, 32); !e.leaf || err != nil {
				return nil, false // the SDK refuses these; so does this
			}
		case "EncodingType":
			if !e.leaf || e.inner != "" {
				return nil, false // keys URL-encoded: never asked for here
			}
		}
	}
}

// setField reads one child of a Contents element into obj as the SDK
// does: an empty Key or ETag is the empty string, an empty Size or
// LastModified an error (so left to the SDK), and the last of two wins.
func setField(obj *types.Object, e element) bool {
	switch e.name {
	case "Key", "ETag":
		v, ok := e.value()
		if !ok {
			return false
		}
		if e.name == "Key" {
			obj.Key = aws.String(v)
		} else {
			obj.ETag = aws.String(v)
		}
	case "Size":
		n, err := strconv.ParseInt(e.inner, 10, 64)
		if !e.leaf || err != nil {
			return false
		}
		obj.Size = aws.Int64(n)
	case "LastModified":
		if !e.leaf {
			return false
		}
		t, err := smithytime.ParseDateTime(e.inner)
		if err != nil {
			return false
		}
		obj.LastModified = aws.Time(t)
	}
	return true
}

// xmlSpace is what XML counts as white space.
const xmlSpace = " \t\r\n"

// maxListingDepth bounds nesting: an answer's deepest element
// (ListBucketResult, Contents, Owner, ID) is the fourth.
const maxListingDepth = 6

// readNames are the elements the SDK decodes in a ListObjectsV2 answer.
// It matches element names without regard to case, so a name that differs
// from one of these only in case is left to it.
var readNames = [...]string{
	"ListBucketResult", "Contents", "Key", "Size", "ETag", "LastModified",
	"IsTruncated", "NextContinuationToken", "KeyCount", "MaxKeys", "EncodingType",
	"CommonPrefixes", "Prefix", "ContinuationToken", "Delimiter", "Name", "StartAfter",
	"ChecksumAlgorithm", "ChecksumType", "StorageClass", "Owner", "DisplayName", "ID",
	"RestoreStatus", "IsRestoreInProgress", "RestoreExpiryDate",
}

// valueKind is how the SDK decodes an element's character data.
type valueKind int

const (
	text valueKind = iota
	boolean
	integer
	dateTime
)

// sdkValues are, per parent element, the children the SDK decodes as
// values (its deserializers for ListObjectsV2), whether or not List uses
// them: the SDK refuses the whole answer when one holds markup or a value
// of the wrong kind, and so must parseListV2. Elements it does not know it
// skips, whatever they hold.
var sdkValues = map[string]map[string]valueKind{
	"ListBucketResult": {"ContinuationToken": text, "Delimiter": text, "EncodingType": text, "Name": text,
		"NextContinuationToken": text, "Prefix": text, "StartAfter": text,
		"IsTruncated": boolean, "KeyCount": integer, "MaxKeys": integer},
	"CommonPrefixes": {"Prefix": text},
	"Contents": {"ChecksumAlgorithm": text, "ChecksumType": text, "ETag": text, "Key": text, "StorageClass": text,
		"LastModified": dateTime, "Size": integer},
	"Owner":         {"DisplayName": text, "ID": text},
	"RestoreStatus": {"IsRestoreInProgress": boolean, "RestoreExpiryDate": dateTime},
}

// sdkReads reports whether the SDK would read child, an element of
// parent, without an error: a value it decodes is a leaf of its kind.
func sdkReads(parent string, child element) bool {
	kind, ok := sdkValues[parent][child.name]
	if !ok {
		return true
	}
	if !child.leaf {
		return false
	}
	var err error
	switch kind {
	case boolean:
		_, err = strconv.ParseBool(child.inner)
	case integer:
		_, err = strconv.ParseInt(child.inner, 10, 64)
	case dateTime:
		_, err = smithytime.ParseDateTime(child.inner)
	}
	return err == nil
}

// element is one element read by nextElement.
type element struct {
	name  string
	inner string       // the raw text between its tags, children's markup included
	leaf  bool         // no child elements: inner is character data
	rest  string       // what follows its end tag
	obj   types.Object // a Contents element's fields, read as its children were
}

// value is a leaf's character data, its entities replaced, in memory of
// its own (the answer's other keys are not kept alive by it).
func (e element) value() (string, bool) {
	if !e.leaf {
		return "", false
	}
	v, ok := unescapeXML(e.inner)
	return strings.Clone(v), ok
}

// nextElement reads the element at the start of s (after white space) at
// the given depth, checking its children's structure all the way down: a
// child cut short, or an end tag that is not its parent's, fails it.
func nextElement(s string, depth int) (element, bool) {
	s = strings.TrimLeft(s, xmlSpace)
	end := strings.IndexByte(s, '>')
	if depth > maxListingDepth || len(s) < 2 || s[0] != '<' || end < 0 {
		return element{}, false
	}
	tag, selfClosed := strings.CutSuffix(s[1:end], "/")
	if !plainName(tag) {
		return element{}, false
	}
	if selfClosed {
		return element{name: tag, leaf: true, rest: s[end+1:]}, true
	}
	body := s[end+1:]
	closing := "</" + tag + ">"
	lt := strings.IndexByte(body, '<')
	if lt < 0 {
		return element{}, false
	}
	if strings.HasPrefix(body[lt:], closing) {
		if _, ok := unescapeXML(body[:lt]); !ok {
			return element{}, false // a bare '&', an unknown entity
		}
		return element{name: tag, inner: body[:lt], leaf: true, rest: body[lt+len(closing):]}, true
	}
	if strings.TrimLeft(body[:lt], xmlSpace) != "" {
		return element{}, false // text beside child elements
	}
	e := element{name: tag}
	rest := body[lt:]
	for {
		rest = strings.TrimLeft(rest, xmlSpace)
		if after, ok := strings.CutPrefix(rest, closing); ok {
			e.inner, e.rest = body[:len(body)-len(rest)], after
			return e, true
		}
		child, ok := nextElement(rest, depth+1)
		if !ok || !sdkReads(tag, child) || (depth == 1 && tag == "Contents" && !setField(&e.obj, child)) {
			return element{}, false
		}
		rest = child.rest
	}
}

// plainName reports whether tag is an element name alone, without a
// namespace prefix or attributes, that the SDK reads as this scanner does.
func plainName(tag string) bool {
	if tag == "" {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '.')) {
			return false
		}
	}
	for _, n := range readNames {
		if len(n) == len(tag) && n != tag && strings.EqualFold(n, tag) {
			return false
		}
	}
	return true
}

// namespaceOnly reports whether attrs, the root's attributes, are only
// namespace declarations with plain values.
func namespaceOnly(attrs string) bool {
	for {
		trimmed := strings.TrimLeft(attrs, xmlSpace)
		if trimmed == "" {
			return true
		}
		if len(trimmed) == len(attrs) || !strings.HasPrefix(trimmed, "xmlns") {
			return false // no space before it, or not a declaration
		}
		eq := strings.Index(trimmed, `="`)
		if eq < 0 || (eq > len("xmlns") && (trimmed[len("xmlns")] != ':' || !plainName(trimmed[len("xmlns")+1:eq]))) || eq < len("xmlns") {
			return false
		}
		closing := strings.IndexByte(trimmed[eq+2:], '"')
		if closing < 0 || strings.ContainsAny(trimmed[eq+2:eq+2+closing], "<&") || !xmlText(trimmed[eq+2:eq+2+closing]) {
			return false
		}
		attrs = trimmed[eq+2+closing+1:]
	}
}

// xmlText reports whether s holds only characters XML allows, in valid
// UTF-8.
func xmlText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !xmlChar(r) {
			return false
		}
		i += size
	}
	return true
}

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// xmlEntities are the entities XML predefines.
var xmlEntities = map[string]rune{"lt": '<', "gt": '>', "amp": '&', "apos": '\'', "quot": '"'}

// unescapeXML returns the character data s stands for. It reports false
// for markup inside it (a child element, a comment, CDATA) or an unknown
// entity: what only a real XML decoder should read.
func unescapeXML(s string) (string, bool) {
	if strings.IndexByte(s, '<') >= 0 || strings.Contains(s, "]]>") || !xmlText(s) {
		return "", false
	}
	if strings.IndexByte(s, '&') < 0 && strings.IndexByte(s, '\r') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		switch c := s[0]; c {
		case '\r': // XML reads CR LF, and a lone CR, as LF
			b.WriteByte('\n')
			s = strings.TrimPrefix(s[1:], "\n")
		case '&':
			semi := strings.IndexByte(s, ';')
			if semi < 0 {
				return "", false
			}
			ref := s[1:semi]
			s = s[semi+1:]
			if r, ok := xmlEntities[ref]; ok {
				b.WriteRune(r)
				continue
			}
			var n uint64
			var err error
			switch {
			case strings.HasPrefix(ref, "#x"):
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			case strings.HasPrefix(ref, "#"):
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			default:
				return "", false
			}
			if err != nil || !xmlChar(rune(n)) {
				return "", false
			}
			b.WriteRune(rune(n))
		default:
			b.WriteByte(c)
			s = s[1:]
		}
	}
	return b.String(), true
}
