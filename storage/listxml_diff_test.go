package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The quick listing decoder must give what the SDK's decoder gives for
// every answer: read the same, or left to the SDK. These tests feed the
// same bytes to a client with and without it. (versitygw's own answers are
// checked in listxml_test.go; these are answers no server here sends.)

// closingBody is an answer's body that refuses reads once closed, as
// net/http's does.
type closingBody struct {
	r      *bytes.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("http: invalid Read on closed Body")
	}
	return b.r.Read(p)
}
func (b *closingBody) Close() error { b.closed = true; return nil }

type fixedAnswer struct{ body []byte }

func (d fixedAnswer) Do(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/xml"}},
		Body: &closingBody{r: bytes.NewReader(d.body)}, Request: req, ContentLength: int64(len(d.body))}, nil
}

func answeringClient(body []byte) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true,
		Credentials: aws.AnonymousCredentials{}, HTTPClient: fixedAnswer{body}, RetryMaxAttempts: 1})
}

func describeListing(out *s3.ListObjectsV2Output, err error) string {
	if err != nil {
		return "ERR"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trunc=%v next=%q n=%d", aws.ToBool(out.IsTruncated), aws.ToString(out.NextContinuationToken), len(out.Contents))
	for _, o := range out.Contents {
		fmt.Fprintf(&b, " [%q %q %d %v]", aws.ToString(o.Key), aws.ToString(o.ETag), aws.ToInt64(o.Size), aws.ToTime(o.LastModified).UTC())
	}
	return b.String()
}

// decodeBothWays returns quickOK, quick result, sdk result.
func decodeBothWays(body []byte) (bool, string, string) {
	ctx := context.Background()
	in := &s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String("p/")}
	_, ok := parseListV2(body)
	c := answeringClient(body)
	q, qerr := c.ListObjectsV2(ctx, in, withQuickListing)
	s, serr := c.ListObjectsV2(ctx, in)
	return ok, describeListing(q, qerr), describeListing(s, serr)
}

const listHead = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`

var listingCases = map[string]string{
	"lowercase names":         listHead + `<contents><key>a</key><size>5</size></contents></ListBucketResult>`,
	"lowercase size":          listHead + `<Contents><Key>a</Key><size>5</size></Contents></ListBucketResult>`,
	"prefixed children":       listHead + `<Contents xmlns:s="x"><s:Key>a</s:Key><Key>b</Key></Contents></ListBucketResult>`,
	"prefixed contents":       `<ListBucketResult xmlns:s="x"><s:Contents><s:Key>a</s:Key></s:Contents></ListBucketResult>`,
	"nested same-name":        listHead + `<Foo><Foo></Foo><Contents><Key>evil</Key></Contents></Foo></ListBucketResult>`,
	"cdata in skipped":        listHead + `<Foo><![CDATA[</Foo><Contents><Key>evil</Key></Contents><Bar>]]></Foo><Bar></Bar></ListBucketResult>`,
	"comment in skipped":      listHead + `<Foo><!--</Foo><Contents><Key>evil</Key></Contents><Bar>--></Foo><Bar></Bar></ListBucketResult>`,
	"comment before root":     `<!--<ListBucketResult><Contents><Key>evil</Key></Contents></ListBucketResult>--><ListBucketResult></ListBucketResult>`,
	"owner nested key":        listHead + `<Contents><Key>a</Key><Owner><Owner></Owner><Key>evil</Key></Owner></Contents></ListBucketResult>`,
	"space in size":           listHead + `<Contents><Key>a</Key><Size> 5 </Size></Contents></ListBucketResult>`,
	"space in truncated":      listHead + `<IsTruncated> true </IsTruncated><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"nul entity":              listHead + `<Contents><Key>a&#0;</Key></Contents></ListBucketResult>`,
	"ctl entity":              listHead + `<Contents><Key>a&#x1;</Key></Contents></ListBucketResult>`,
	"raw ctl":                 listHead + "<Contents><Key>a\x01</Key></Contents></ListBucketResult>",
	"fffe":                    listHead + `<Contents><Key>a&#xFFFE;</Key></Contents></ListBucketResult>`,
	"surrogate":               listHead + `<Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>`,
	"bad utf8 in etag":        listHead + "<Contents><Key>a</Key><ETag>\xff</ETag></Contents></ListBucketResult>",
	"bad utf8 in skipped":     listHead + "<Contents><Key>a</Key><StorageClass>\xff</StorageClass></Contents></ListBucketResult>",
	"trailing junk":           listHead + `<Contents><Key>a</Key></Contents></ListBucketResult><junk`,
	"unclosed in skipped":     listHead + `<Contents><Key>a</Key><Owner><ID></Owner></Contents></ListBucketResult>`,
	"mismatched end":          listHead + `<Contents><Key>a</Key></Foo></Contents></ListBucketResult>`,
	"stray end root":          listHead + `</Foo><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"time offset":             listHead + `<Contents><Key>a</Key><LastModified>2026-12-07T22:18:30+07:00</LastModified></Contents></ListBucketResult>`,
	"dup key":                 listHead + `<Contents><Key>a</Key><Key>b</Key></Contents></ListBucketResult>`,
	"root other name":         `<ListBucketResultX><Contents><Key>a</Key></Contents></ListBucketResultX>`,
	"amp no semi in skipped":  listHead + `<Contents><Key>a</Key><StorageClass>a&b</StorageClass></Contents></ListBucketResult>`,
	"lt in attr-less skipped": listHead + `<Name>a<b</Name><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"comment fallback":        listHead + `<!-- x --><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"cdata fallback":          listHead + `<Contents><Key><![CDATA[a&b]]></Key></Contents></ListBucketResult>`,
	"truncated fallback":      listHead + `<Contents><Key>a</Key></Contents>`,
	"cr in key":               listHead + "<Contents><Key>a\r\nb\rc</Key></Contents></ListBucketResult>",
	"key with gt":             listHead + "<Contents><Key>a>b</Key></Contents></ListBucketResult>",
	"size plus":               listHead + "<Contents><Key>a</Key><Size>+5</Size></Contents></ListBucketResult>",
	"two roots":               listHead + "</ListBucketResult>" + listHead + "<Contents><Key>a</Key></Contents></ListBucketResult>",
	"doctype":                 `<!DOCTYPE x [<!ENTITY e "z">]>` + listHead + `<Contents><Key>a</Key></Contents></ListBucketResult>`,
	"attr on unknown":         listHead + `<Owner a="1"><ID>x</ID></Owner><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"eq in end tag skipped":   listHead + `<Contents><Key>a</Key></Contents ></ListBucketResult>`,
	"blank answer":            "\n",
	"empty size":              listHead + `<Contents><Key>a</Key><Size/></Contents></ListBucketResult>`,
	"empty key":               listHead + `<Contents><Key>k</Key><Key/><Size>7</Size></Contents></ListBucketResult>`,
	"end of cdata in a key":   listHead + `<Contents><Key>k]]></Key></Contents></ListBucketResult>`,
	// Elements List does not use but the SDK decodes as values: markup or a
	// value of the wrong kind in them fails the SDK's decoding.
	"prefix with a child":            listHead + `<Prefix><a/></Prefix><Contents><Key>a</Key><Size>5</Size></Contents></ListBucketResult>`,
	"common prefix with a child":     listHead + `<CommonPrefixes><Prefix><x/></Prefix></CommonPrefixes><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"common prefix read":             listHead + `<CommonPrefixes><Prefix>d/</Prefix><Other><x/></Other></CommonPrefixes><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"storage class with a child":     listHead + `<Contents><Key>a</Key><Size>5</Size><StorageClass><x/></StorageClass></Contents></ListBucketResult>`,
	"checksum algorithm with child":  listHead + `<Contents><Key>a</Key><ChecksumAlgorithm><x/></ChecksumAlgorithm></Contents></ListBucketResult>`,
	"owner id with a child":          listHead + `<Contents><Key>a</Key><Size>5</Size><Owner><ID><x/></ID></Owner></Contents></ListBucketResult>`,
	"owner read":                     listHead + `<Contents><Key>a</Key><Owner><ID>i</ID><DisplayName>d</DisplayName></Owner></Contents></ListBucketResult>`,
	"restore in progress not a bool": listHead + `<Contents><Key>a</Key><Size>5</Size><RestoreStatus><IsRestoreInProgress>maybe</IsRestoreInProgress></RestoreStatus></Contents></ListBucketResult>`,
	"restore date not a date":        listHead + `<Contents><Key>a</Key><RestoreStatus><RestoreExpiryDate>soon</RestoreExpiryDate></RestoreStatus></Contents></ListBucketResult>`,
	"restore status read":            listHead + `<Contents><Key>a</Key><RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>2026-12-07T22:18:30Z</RestoreExpiryDate></RestoreStatus></Contents></ListBucketResult>`,
	"start after with a child":       listHead + `<StartAfter><x/></StartAfter><Contents><Key>a</Key></Contents></ListBucketResult>`,
	"delimiter in other case":        listHead + `<delimiter><x/></delimiter><Contents><Key>a</Key></Contents></ListBucketResult>`,
}

func TestQuickListingMatchesSDKOnOddAnswers(t *testing.T) {
	for name, body := range listingCases {
		ok, q, s := decodeBothWays([]byte(body))
		if q != s {
			t.Errorf("%s (quick parse ok=%v):\n  body  %q\n  quick %s\n  sdk   %s", name, ok, body, q, s)
		}
	}
}

func FuzzQuickListingMatchesSDK(f *testing.F) {
	for _, b := range listingCases {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ok, q, s := decodeBothWays(body)
		if q != s {
			t.Errorf("quick ok=%v\n body %q\n quick %s\n sdk   %s", ok, body, q, s)
		}
	})
}

// Random answers built from fragments: mostly well-formed, with markup,
// entities and bytes the decoder must refuse sprinkled in.
func TestQuickListingMatchesSDKOnRandomAnswers(t *testing.T) {
	frags := []string{"<Contents>", "</Contents>", "<Key>", "</Key>", "<Size>", "</Size>", "<ETag>", "</ETag>",
		"<LastModified>", "</LastModified>", "<Owner>", "</Owner>", "<ID>", "</ID>", "<IsTruncated>", "</IsTruncated>",
		"<NextContinuationToken>", "</NextContinuationToken>", "<StorageClass>", "</StorageClass>", "<ChecksumAlgorithm>",
		"</ChecksumAlgorithm>", "<RestoreStatus>", "</RestoreStatus>", "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&lt;", "&#x41;",
		"&#13;", "\r", "\n", " ", "a", "b", "5", "true", "2026-12-07T22:18:30Z", "&quot;", "<Key/>", "<Size/>", "<Contents/>",
		"<EncodingType>", "</EncodingType>", "<CommonPrefixes>", "</CommonPrefixes>", "<Prefix>", "</Prefix>", ">", "<", "&", "\xff", "é",
		"<key>", "</key>", "<s:Key>", "</s:Key>", "</ListBucketResult>", "<ListBucketResult>", "<IsRestoreInProgress>",
		"</IsRestoreInProgress>", "<RestoreExpiryDate>", "</RestoreExpiryDate>", "<StartAfter>", "</StartAfter>", "<x/>", "maybe"}
	rng := rand.New(rand.NewSource(1))
	diffs := 0
	for i := 0; i < 20000 && diffs < 15; i++ {
		var b strings.Builder
		b.WriteString(listHead)
		// mostly well-formed: a few objects, with random fragments sprinkled
		n := rng.Intn(3)
		for j := 0; j < n; j++ {
			b.WriteString("<Contents><Key>k")
			for k := rng.Intn(3); k > 0; k-- {
				b.WriteString(frags[rng.Intn(len(frags))])
			}
			b.WriteString("</Key>")
			for k := rng.Intn(4); k > 0; k-- {
				b.WriteString(frags[rng.Intn(len(frags))])
			}
			b.WriteString("<Size>7</Size></Contents>")
		}
		for k := rng.Intn(4); k > 0; k-- {
			b.WriteString(frags[rng.Intn(len(frags))])
		}
		b.WriteString("</ListBucketResult>")
		body := []byte(b.String())
		ok, q, s := decodeBothWays(body)
		if q != s {
			diffs++
			t.Errorf("quick ok=%v\n body %q\n quick %s\n sdk   %s", ok, body, q, s)
		}
	}
}
