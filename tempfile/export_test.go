package tempfile

// OnOpened makes d run hook after WithFile has opened a stored file and
// before fn reads it: where an attacker would swap a folder for a link.
func OnOpened(d *Dir, hook func()) { d.opened = hook }
