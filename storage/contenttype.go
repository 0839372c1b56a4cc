package storage

import (
	"path"
	"strings"
)

// contentTypes mirrors what Python's mimetypes module answers for the
// extensions the app stores. Go's mime tables differ from Python's (and from
// machine to machine), so Django and the worker would disagree without an
// explicit table.
var contentTypes = map[string]string{
	".pdf":  "application/pdf",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".jpe":  "image/jpeg",
	".png":  "image/png",
	".gif":  "image/gif",
	".bmp":  "image/bmp",
	".webp": "image/webp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".heic": "image/heic",
	".heif": "image/heif",
	".svg":  "image/svg+xml",
	".txt":  "text/plain",
	".csv":  "text/csv",
	".html": "text/html",
	".htm":  "text/html",
	".json": "application/json",
	".xml":  "application/xml",
	".zip":  "application/zip",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".tar":  "application/x-tar",
}

// contentEncodings is Python's mimetypes.encodings_map: a compressed name is
// typed by its inner extension and gets a Content-Encoding, as boto does.
var contentEncodings = map[string]string{
	".gz":  "gzip",
	".bz2": "bzip2",
	".xz":  "xz",
	".br":  "br",
}

// defaultContentType is what django-storages falls back to.
const defaultContentType = "application/octet-stream"

// ContentType returns the Content-Type and Content-Encoding django-storages
// would send for name.
func ContentType(name string) (contentType, encoding string) {
	base := strings.ToLower(path.Base(name))
	ext := path.Ext(base)
	if enc, ok := contentEncodings[ext]; ok {
		encoding = enc
		base = strings.TrimSuffix(base, ext)
		ext = path.Ext(base)
	}
	if ext == ".tgz" {
		return "application/x-tar", "gzip"
	}
	if t, ok := contentTypes[ext]; ok {
		return t, encoding
	}
	return defaultContentType, encoding
}
