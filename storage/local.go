package storage

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Local stores files under a folder as Django's FileSystemStorage does:
// names relative to MEDIA_ROOT, an existing name never overwritten (Django's
// 7-character suffix instead), files mode 0644, URLs under MEDIA_URL.
//
// Every operation goes through an os.Root, so neither a crafted name nor a
// symbolic link can reach outside MEDIA_ROOT.
type Local struct {
	root     string // absolute MEDIA_ROOT
	mediaURL string
}

var _ Storage = (*Local)(nil)

// Django's defaults: FILE_UPLOAD_PERMISSIONS is 0o644 and directories are
// created with os.makedirs' 0o777 less the umask.
const (
	localFileMode = 0o644
	localDirMode  = 0o777
)

// tempPrefix marks a file being written by Save. List skips such names, so
// a reader never sees a half-written file under any name.
const tempPrefix = ".storage-partial-"

// maxNameAttempts bounds the search for a free name; Django loops forever,
// but 62^7 suffixes make a second collision already unlikely.
const maxNameAttempts = 100

// NewLocal returns the storage of the folder root, whose files are served
// under mediaURL (Django's MEDIA_ROOT and MEDIA_URL). The folder is created
// by the first Save when missing, as Django does.
func NewLocal(root, mediaURL string) (*Local, error) {
	if root == "" {
		return nil, errors.New("storage: MEDIA_ROOT is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("storage: MEDIA_ROOT %q: %w", root, err)
	}
	return &Local{root: abs, mediaURL: mediaURL}, nil
}

// LocalFileName checks a name of a file under MEDIA_ROOT as Django's
// FileSystemStorage does, and returns it cleaned: CleanName's rules, and
// neither absolute nor naming a folder. Callers that reach MEDIA_ROOT
// through their own os.Root (the migration) check names with it.
func LocalFileName(name string) (string, error) {
	return fileName(localName, name)
}

// Escapes reports whether err is os.Root's refusal of a path that leads
// outside its root, through ".." or a symbolic link (absolute links
// included). The standard library does not export that error; its text is
// pinned by TestLocalSymlinksStayInside.
func Escapes(err error) bool {
	return err != nil && strings.HasSuffix(err.Error(), "path escapes from parent")
}

// localName cleans name for the local backend. Unlike S3 without a
// location, an absolute name is refused: Django's FileSystemStorage
// refuses it too (validate_file_name).
func localName(name string) (string, error) {
	cleaned, err := CleanName(name)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(cleaned, "/") {
		return "", fmt.Errorf("%w: %q is absolute", ErrSuspiciousName, name)
	}
	return cleaned, nil
}

// fileName cleans a name that must name a file: a trailing slash names a
// folder, which Django's Storage.save refuses.
func fileName(clean func(string) (string, error), name string) (string, error) {
	cleaned, err := clean(name)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(cleaned, "/") {
		return "", fmt.Errorf("%w: %q names a folder, not a file", ErrSuspiciousName, name)
	}
	return cleaned, nil
}

func (l *Local) openRoot() (*os.Root, error) {
	r, err := os.OpenRoot(l.root)
	if err != nil {
		return nil, fmt.Errorf("storage: open MEDIA_ROOT: %w", err)
	}
	return r, nil
}

// classify explains a failed operation on name: a path that os.Root
// refuses to follow (a symbolic link leading outside MEDIA_ROOT, or any
// absolute link) is a suspicious name; anything else is returned wrapped
// with the operation, and still matches fs.ErrNotExist and friends.
func (l *Local) classify(op, name string, err error) error {
	if Escapes(err) {
		return fmt.Errorf("%w: %q leads outside MEDIA_ROOT through a symbolic link", ErrSuspiciousName, name)
	}
	// No file can have such a name (a component over NAME_MAX): retrying
	// cannot help.
	if errors.Is(err, syscall.ENAMETOOLONG) {
		return fmt.Errorf("%w: %.60q... is longer than the file system allows", ErrSuspiciousName, name)
	}
	return fmt.Errorf("storage: %s %q: %w", op, name, err)
}

// Open implements Storage. Reading stops once ctx is done.
func (l *Local) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	f, _, err := l.openFile(ctx, name)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{contextReader{ctx, f}, f}, nil
}

// openFile opens the regular file name and returns it with the cleaned name.
func (l *Local) openFile(ctx context.Context, name string) (*os.File, string, error) {
	cleaned, err := LocalFileName(name)
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	r, err := l.openRoot()
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	f, err := r.Open(cleaned)
	if err != nil {
		return nil, "", l.classify("open", cleaned, err)
	}
	if err := regularFile(f, cleaned); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, cleaned, nil
}

// regularFile refuses a folder: no file has that name.
func regularFile(f *os.File, name string) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("storage: stat %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("storage: %q is not a regular file: %w", name, fs.ErrNotExist)
	}
	return nil
}

// Save implements Storage. The content is written to a hidden file in the
// destination folder, synced, then linked under the first free name (or
// renamed over the name with Replace), so a reader never sees half a file
// and a failed Save leaves nothing.
func (l *Local) Save(ctx context.Context, name string, src io.Reader, opts SaveOptions) (string, error) {
	cleaned, err := LocalFileName(name)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(l.root, localDirMode); err != nil {
		return "", fmt.Errorf("storage: create MEDIA_ROOT: %w", err)
	}
	r, err := l.openRoot()
	if err != nil {
		return "", err
	}
	defer r.Close()

	dir := path.Dir(cleaned)
	if err := r.MkdirAll(dir, localDirMode); err != nil {
		return "", l.classify("create folder for", cleaned, err)
	}
	tmpName, err := writeTemp(ctx, r, dir, src)
	if tmpName != "" {
		// After a successful link the temporary name is a second link
		// to the saved file; after a rename it is gone.
		defer r.Remove(tmpName)
	}
	if err != nil {
		return "", l.classify("save", cleaned, err)
	}

	if opts.Replace {
		if err := r.Rename(tmpName, cleaned); err != nil {
			return "", l.classify("save", cleaned, err)
		}
		return cleaned, nil
	}
	candidate := cleaned
	for range maxNameAttempts {
		err := r.Link(tmpName, candidate)
		if err == nil {
			return candidate, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", l.classify("save", candidate, err)
		}
		candidate = alternativeName(cleaned)
	}
	return "", fmt.Errorf("storage: save %q: no free name after %d attempts", cleaned, maxNameAttempts)
}

// writeTemp copies src into a new hidden file of dir and returns its name
// relative to the root, also on error when the file was created.
func writeTemp(ctx context.Context, r *os.Root, dir string, src io.Reader) (string, error) {
	var f *os.File
	var tmpName string
	for {
		tmpName = path.Join(dir, tempPrefix+randomSuffix())
		var err error
		f, err = r.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, localFileMode)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	_, err := io.Copy(f, contextReader{ctx, src})
	if err == nil {
		// The mode Django sets, whatever the umask.
		err = f.Chmod(localFileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return tmpName, err
}

// ContextReader is r stopping with ctx's error once ctx is done, so that a
// long copy honours cancellation; the one for every package that copies a
// stored file.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return contextReader{ctx, r} }

// contextReader stops a copy once ctx is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Stat implements Storage. The digest is computed by reading the file, so
// Stat costs a full read: callers that need only the size should expect it.
func (l *Local) Stat(ctx context.Context, name string) (Info, error) {
	f, cleaned, err := l.openFile(ctx, name)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("storage: stat %q: %w", cleaned, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, contextReader{ctx, f}); err != nil {
		return Info{}, fmt.Errorf("storage: digest %q: %w", cleaned, err)
	}
	ct, _ := ContentType(cleaned)
	return Info{
		Name:        cleaned,
		Size:        st.Size(),
		ModTime:     st.ModTime(),
		ContentType: ct,
		Digest:      hex.EncodeToString(h.Sum(nil)),
	}, nil
}

// Delete implements Storage. Like Django, it also removes an empty folder.
func (l *Local) Delete(ctx context.Context, name string) error {
	cleaned, err := localName(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := l.openRoot()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Remove(strings.TrimSuffix(cleaned, "/")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return l.classify("delete", cleaned, err)
	}
	return nil
}

// List implements Storage. It yields regular files (and links to regular
// files inside MEDIA_ROOT) in byte order of their names, as S3 lists keys;
// Digest and ContentType are left empty.
func (l *Local) List(ctx context.Context, prefix string) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		prefix, err := listPrefix(prefix)
		if err != nil {
			yield(Info{}, err)
			return
		}
		r, err := l.openRoot()
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			yield(Info{}, err)
			return
		}
		defer r.Close()
		start := ""
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			start = prefix[:i]
		}
		l.walk(ctx, r, start, prefix, yield)
	}
}

// listPrefix checks a List prefix: it may be empty or end in a slash, but
// may not climb out of the root.
func listPrefix(prefix string) (string, error) {
	prefix = strings.ReplaceAll(prefix, `\`, "/")
	if strings.HasPrefix(prefix, "/") || strings.ContainsRune(prefix, 0) || slices.Contains(strings.Split(prefix, "/"), "..") {
		return "", fmt.Errorf("%w: list prefix %q", ErrSuspiciousName, prefix)
	}
	return prefix, nil
}

// walk visits dir depth first. Sorting a folder's entries with "/" after
// each subfolder's name yields whole names in byte order ("a.txt" before
// "a/b"), the order S3 uses.
func (l *Local) walk(ctx context.Context, r *os.Root, dir, prefix string, yield func(Info, error) bool) bool {
	if err := ctx.Err(); err != nil {
		return yield(Info{}, err)
	}
	open := dir
	if open == "" {
		open = "."
	}
	entries, err := fs.ReadDir(r.FS(), open)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && dir != "" {
			return true
		}
		return yield(Info{}, l.classify("list", dir, err))
	}
	sortKey := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return cmp.Compare(sortKey(a), sortKey(b)) })
	for _, e := range entries {
		name := e.Name()
		if dir != "" {
			name = dir + "/" + name
		}
		if e.IsDir() {
			sub := name + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if !l.walk(ctx, r, name, prefix, yield) {
					return false
				}
			}
			continue
		}
		if !strings.HasPrefix(name, prefix) || strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		st, err := r.Stat(name)
		if err != nil || !st.Mode().IsRegular() {
			// A dangling link, or one leading outside MEDIA_ROOT, or a
			// socket: not a file Django could have saved.
			continue
		}
		if !yield(Info{Name: name, Size: st.Size(), ModTime: st.ModTime()}, nil) {
			return false
		}
	}
	return true
}

// URL implements Storage: MEDIA_URL joined with the quoted name, exactly as
// FileSystemStorage.url() builds it.
func (l *Local) URL(ctx context.Context, name string) (string, error) {
	cleaned, err := localName(name)
	if err != nil {
		return "", err
	}
	return l.mediaURL + filepathToURI(cleaned), nil
}

// OpenFile opens the named regular file through the os.Root of
// MEDIA_ROOT, as Open does, and returns it as an *os.File so that a reader
// needing a file (seeking, or a C library given /proc/self/fd/N) can use
// this one. Whoever holds it reads the file that was checked: opening the
// name again could follow a link swapped in since. The caller closes it.
func (l *Local) OpenFile(ctx context.Context, name string) (*os.File, error) {
	f, _, err := l.openFile(ctx, name)
	return f, err
}
