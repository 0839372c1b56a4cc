package storage

import (
	"fmt"
	"math/rand/v2"
	"path"
	"strings"
)

// CleanName normalises a name as django-storages' clean_name does: back
// slashes become slashes, the path is POSIX-normalised, a trailing slash is
// kept and "." becomes empty. Unlike a bare normpath it refuses what Django's
// validate_file_name refuses (any ".." component, NUL bytes, an empty result)
// so that no name reaches a backend that could resolve outside its root.
func CleanName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrSuspiciousName)
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q contains a NUL byte", ErrSuspiciousName, name)
	}
	slashed := strings.ReplaceAll(name, `\`, "/")
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q escapes the storage root", ErrSuspiciousName, name)
		}
	}
	cleaned := path.Clean(slashed)
	if strings.HasSuffix(slashed, "/") && !strings.HasSuffix(cleaned, "/") {
		cleaned += "/"
	}
	if cleaned == "." || cleaned == "/" {
		return "", fmt.Errorf("%w: %q names no file", ErrSuspiciousName, name)
	}
	return cleaned, nil
}

// Key joins a cleaned name under location as django-storages' safe_join
// does: with a location, an absolute name is refused; without one, a leading
// slash is dropped.
func Key(location, name string) (string, error) {
	cleaned, err := CleanName(name)
	if err != nil {
		return "", err
	}
	location = strings.TrimRight(location, "/")
	if strings.HasPrefix(cleaned, "/") {
		if location != "" {
			return "", fmt.Errorf("%w: %q is absolute while AWS_LOCATION is %q", ErrSuspiciousName, name, location)
		}
		cleaned = strings.TrimLeft(cleaned, "/")
	}
	if location == "" {
		return cleaned, nil
	}
	return location + "/" + cleaned, nil
}

// alternativeName is Django's get_alternative_name: "_" and 7 random
// [a-zA-Z0-9] inserted before the extension of the base name. The extension
// is split as Python's os.path.splitext splits it (at the last dot, ignoring
// leading dots), which is what the Debian Django 3.2 the app runs on does:
// "a.tar.gz" becomes "a.tar_XXXXXXX.gz" (Django >= 5.1 would keep ".tar.gz").
func alternativeName(name string) string {
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:]
	}
	root, ext := splitExt(base)
	return dir + root + "_" + randomSuffix() + ext
}

// splitExt is Python's os.path.splitext on a base name.
func splitExt(base string) (root, ext string) {
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 || strings.Trim(base[:dot], ".") == "" {
		return base, ""
	}
	return base[:dot], base[dot:]
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomSuffix() string {
	b := make([]byte, 7)
	for i := range b {
		b[i] = suffixChars[rand.IntN(len(suffixChars))]
	}
	return string(b)
}

// quote is Python's urllib.parse.quote: every byte of s except ASCII
// letters, digits, "_.-~" and the bytes in safe is percent-encoded.
func quote(s, safe string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// filepathToURI is Django's filepath_to_uri, used for MEDIA_URL and custom
// domain URLs alike.
func filepathToURI(name string) string {
	return quote(strings.ReplaceAll(name, `\`, "/"), "/~!*()'")
}
