package storage

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
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
	if err == nil && len(body) <= maxQuickListing {
		resp.Body.Close()
		if result, ok := parseListV2(body); ok {
			out.Result = result
			return out, md, nil
		}
	}
	// Not understood (or not read whole): the SDK decodes what was read
	// and whatever is left, and reports the errors its own way.
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
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
// It reports false for anything it does not expect (comments, CDATA,
// attributes, keys in URL encoding, a malformed value), which the SDK then
// decodes.
func parseListV2(body []byte) (*s3.ListObjectsV2Output, bool) {
	s := string(body)
	i := strings.Index(s, "<ListBucketResult")
	if i < 0 {
		return nil, false
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 || s[i+j-1] == '/' {
		return nil, false // cut short, or self-closed
	}
	s = s[i+j+1:]
	out := &s3.ListObjectsV2Output{Contents: make([]types.Object, 0, strings.Count(s, "<Contents>"))}
	for {
		name, text, rest, ok := nextElement(s)
		if !ok {
			return nil, false
		}
		s = rest
		switch name {
		case "/ListBucketResult":
			return out, true
		case "Contents":
			obj, ok := parseObject(text)
			if !ok {
				return nil, false
			}
			out.Contents = append(out.Contents, obj)
		case "IsTruncated":
			b, err := strconv.ParseBool(strings.TrimSpace(text))
			if err != nil {
				return nil, false
			}
			out.IsTruncated = aws.Bool(b)
		case "NextContinuationToken":
			v, ok := unescapeXML(text)
			if !ok {
				return nil, false
			}
			out.NextContinuationToken = aws.String(v)
		case "EncodingType":
			if strings.TrimSpace(text) != "" {
				return nil, false // keys URL-encoded: never asked for here
			}
		}
	}
}

// parseObject reads one Contents element's text.
func parseObject(s string) (types.Object, bool) {
	var obj types.Object
	for strings.TrimSpace(s) != "" {
		name, text, rest, ok := nextElement(s)
		if !ok {
			return obj, false
		}
		s = rest
		switch name {
		case "Key", "ETag":
			v, ok := unescapeXML(text)
			if !ok {
				return obj, false
			}
			if name == "Key" {
				obj.Key = aws.String(v)
			} else {
				obj.ETag = aws.String(v)
			}
		case "Size":
			n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
			if err != nil {
				return obj, false
			}
			obj.Size = aws.Int64(n)
		case "LastModified":
			t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(text))
			if err != nil {
				return obj, false
			}
			obj.LastModified = aws.Time(t)
		}
	}
	return obj, obj.Key != nil
}

// nextElement reads the element at the start of s (after white space): its
// name, the raw text between its tags (the children's markup included),
// and what follows it. An end tag is returned as a name starting with '/'.
func nextElement(s string) (name, text, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	if len(s) < 2 || s[0] != '<' || s[1] == '!' || s[1] == '?' {
		return "", "", "", false
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", "", "", false
	}
	tag := s[1:end]
	if strings.HasPrefix(tag, "/") {
		return tag, "", s[end+1:], true
	}
	if strings.HasSuffix(tag, "/") { // <Name/>
		tag = strings.TrimSpace(tag[:len(tag)-1])
		if strings.ContainsAny(tag, " \t\r\n") {
			return "", "", "", false
		}
		return tag, "", s[end+1:], true
	}
	if strings.ContainsAny(tag, " \t\r\n=") {
		return "", "", "", false // attributes: not S3's answer as expected
	}
	body := s[end+1:]
	n := strings.Index(body, "</"+tag+">")
	if n < 0 {
		return "", "", "", false
	}
	return tag, body[:n], body[n+len(tag)+3:], true
}

// xmlEntities are the entities XML predefines.
var xmlEntities = map[string]rune{"lt": '<', "gt": '>', "amp": '&', "apos": '\'', "quot": '"'}

// unescapeXML returns the character data s stands for. It reports false
// for markup inside it (a child element, a comment, CDATA) or an unknown
// entity: what only a real XML decoder should read.
func unescapeXML(s string) (string, bool) {
	if strings.IndexByte(s, '<') >= 0 || !utf8.ValidString(s) {
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
			if err != nil || !utf8.ValidRune(rune(n)) {
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
