package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/revisbali/worker/storage"
)

// The quick decoding of a listing reads the server's real answer, names
// that XML must escape included, exactly as the SDK's decoder does; List
// then yields what Stat says of each object.
func TestS3QuickListingMatchesSDK(t *testing.T) {
	t.Parallel()
	s := newS3Bed(t).storage(t, nil)
	ctx := context.Background()
	names := []string{
		"q/plain.pdf", `q/a & b <c> "d" 'e'.pdf`, "q/Ünïcode ~!*().jpg", "q/semi;colon#hash%25.pdf",
		"q/tab\tand line.pdf", "q/" + strings.Repeat("long", 60) + ".pdf",
	}
	for _, name := range names {
		if _, err := s.SaveInfo(ctx, name, strings.NewReader(name), storage.SaveOptions{Replace: true}); err != nil {
			t.Fatalf("SaveInfo(%q): %v", name, err)
		}
	}
	if quick, err := storage.ListsQuickly(ctx, s); err != nil || !quick {
		t.Fatalf("ListAfter's requests are decoded quickly: %v, %v; want true", quick, err)
	}
	body, sdk, err := storage.SDKListing(ctx, s, "q/")
	if err != nil {
		t.Fatal(err)
	}
	quick, ok := storage.ParseListV2(body)
	if !ok {
		t.Fatalf("the quick decoding refused versitygw's answer:\n%s", body)
	}
	if len(quick.Contents) != len(names) || len(sdk.Contents) != len(names) {
		t.Fatalf("quick decoding listed %d objects, the SDK %d; %d were saved", len(quick.Contents), len(sdk.Contents), len(names))
	}
	for i, want := range sdk.Contents {
		got := quick.Contents[i]
		if aws.ToString(got.Key) != aws.ToString(want.Key) || aws.ToString(got.ETag) != aws.ToString(want.ETag) ||
			aws.ToInt64(got.Size) != aws.ToInt64(want.Size) || !aws.ToTime(got.LastModified).Equal(aws.ToTime(want.LastModified)) {
			t.Errorf("object %d: quick %q %q %d %v; SDK %q %q %d %v", i, aws.ToString(got.Key), aws.ToString(got.ETag),
				aws.ToInt64(got.Size), aws.ToTime(got.LastModified), aws.ToString(want.Key), aws.ToString(want.ETag),
				aws.ToInt64(want.Size), aws.ToTime(want.LastModified))
		}
	}
	if aws.ToBool(quick.IsTruncated) != aws.ToBool(sdk.IsTruncated) {
		t.Errorf("IsTruncated: quick %v, SDK %v", aws.ToBool(quick.IsTruncated), aws.ToBool(sdk.IsTruncated))
	}
	var listed int
	for info, err := range s.List(ctx, "q/") {
		if err != nil {
			t.Fatal(err)
		}
		listed++
		st, err := s.Stat(ctx, info.Name)
		if err != nil || st.ETag != info.ETag || st.Size != info.Size {
			t.Errorf("List gave %q, %q, %d; Stat %q, %d, %v", info.Name, info.ETag, info.Size, st.ETag, st.Size, err)
		}
	}
	if listed != len(names) {
		t.Errorf("List yielded %d names, want %d", listed, len(names))
	}
}

func TestParseListV2(t *testing.T) {
	t.Parallel()
	const head = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`
	// Pretty-printed, with elements List does not read, entities and a
	// self-closed element: read.
	pretty := head + `
  <Name>b</Name><Prefix/>
  <KeyCount>2</KeyCount>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>loc/a &amp; b&#x20;&#60;1&#62;.pdf</Key>
    <LastModified>2026-12-07T22:18:30.123Z</LastModified>
    <ETag>&quot;abc&quot;</ETag>
    <Size>42</Size>
    <Owner><ID>x</ID><DisplayName>y</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents><Key>loc/c.pdf</Key><ETag>&#34;def-2&#34;</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>loc/d/</Prefix></CommonPrefixes>
  <NextContinuationToken>tok&amp;en</NextContinuationToken>
</ListBucketResult>`
	out, ok := storage.ParseListV2([]byte(pretty))
	if !ok {
		t.Fatal("a pretty-printed answer was refused")
	}
	if len(out.Contents) != 2 || aws.ToString(out.Contents[0].Key) != "loc/a & b <1>.pdf" || aws.ToString(out.Contents[0].ETag) != `"abc"` ||
		aws.ToInt64(out.Contents[0].Size) != 42 || aws.ToTime(out.Contents[0].LastModified).Nanosecond() != 123000000 ||
		aws.ToString(out.Contents[1].Key) != "loc/c.pdf" || aws.ToString(out.Contents[1].ETag) != `"def-2"` ||
		!aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) != "tok&en" {
		t.Errorf("read %+v, %+v", out, out.Contents)
	}
	// Whatever only a real XML decoder reads right goes to the SDK's.
	refused := map[string]string{
		"a comment":         head + `<!-- x --><Contents><Key>a</Key></Contents></ListBucketResult>`,
		"CDATA in a key":    head + `<Contents><Key><![CDATA[a]]></Key></Contents></ListBucketResult>`,
		"URL-encoded keys":  head + `<EncodingType>url</EncodingType><Contents><Key>a%20b</Key></Contents></ListBucketResult>`,
		"an attribute":      head + `<Contents><Key a="1">a</Key></Contents></ListBucketResult>`,
		"cut short":         head + `<Contents><Key>a</Key></Contents>`,
		"an unknown entity": head + `<Contents><Key>a&nbsp;</Key></Contents></ListBucketResult>`,
		"a bad size":        head + `<Contents><Key>a</Key><Size>1e3</Size></Contents></ListBucketResult>`,
		"a bad time":        head + `<Contents><Key>a</Key><LastModified>yesterday</LastModified></Contents></ListBucketResult>`,
		"no key":            head + `<Contents><Size>1</Size></Contents></ListBucketResult>`,
		"text between":      head + `stray<Contents><Key>a</Key></Contents></ListBucketResult>`,
		"another answer":    `<Error><Code>NoSuchBucket</Code></Error>`,
		"self-closed root":  `<ListBucketResult/>`,
	}
	for what, body := range refused {
		if out, ok := storage.ParseListV2([]byte(body)); ok {
			t.Errorf("%s: read as %+v; want it left to the SDK", what, out)
		}
	}
}

// BenchmarkParseListV2 reads a page of 1,000 keys as versitygw answers it.
func BenchmarkParseListV2(b *testing.B) {
	var page strings.Builder
	page.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>loc/scans/</Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>`)
	for i := range 1000 {
		fmt.Fprintf(&page, `<Contents><LastModified>2026-12-07T22:18:30Z</LastModified><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><ETag>&#34;75f49978ad9f4e356251660fd32c%04d&#34;</ETag><Key>loc/scans/0/%05d.pdf</Key><Size>32375</Size><StorageClass>STANDARD</StorageClass></Contents>`, i, i)
	}
	page.WriteString(`<NextContinuationToken>t</NextContinuationToken><EncodingType></EncodingType></ListBucketResult>`)
	body := []byte(page.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, ok := storage.ParseListV2(body); !ok {
			b.Fatal("refused")
		}
	}
}
