package storage

import (
	"fmt"
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
