package storage

import (
	"bytes"
	"context"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// PendingUploads counts the multipart uploads in progress under s's
// location: a failed Save must have aborted its own.
func PendingUploads(ctx context.Context, s *S3) (int, error) {
	prefix := s.location
	if prefix != "" {
		prefix += "/"
	}
	out, err := s.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix})
	if err != nil {
		return 0, err
	}
	return len(out.Uploads), nil
}

// ParseListV2 is the quick decoding of a ListObjectsV2 answer.
var ParseListV2 = parseListV2

// SDKListing lists prefix under s's location in one request decoded by the
// SDK alone, and returns the answer's body with the SDK's result.
func SDKListing(ctx context.Context, s *S3, prefix string) ([]byte, *s3.ListObjectsV2Output, error) {
	var body []byte
	capture := middleware.DeserializeMiddlewareFunc("capture", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return out, md, err
	})
	key := s.location + "/" + prefix
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &key}, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Insert(capture, sdkDeserializer, middleware.After)
		})
	})
	return body, out, err
}

// ListsQuickly reports whether ListAfter's requests are decoded by
// quickListing: an SDK whose stack no longer names its decoder as
// withQuickListing expects would silently keep the slow one.
func ListsQuickly(ctx context.Context, s *S3) (bool, error) {
	var quick bool
	key := s.location + "/"
	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &key}, withQuickListing, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			m, _ := st.Deserialize.Get(sdkDeserializer)
			_, quick = m.(quickListing)
			return nil
		})
	})
	return quick, err
}
