package storage

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
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
