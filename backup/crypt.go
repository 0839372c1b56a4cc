package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/revisbali/worker/fault"
)

type recipientList = openpgp.EntityList

// pgpConfig is what gpg 2.2 (Debian 12) and python-gnupg read: AES-256 in
// the classic integrity-protected packet, no OpenPGP compression (the dump
// is gzipped already).
var pgpConfig = &packet.Config{DefaultCipher: packet.CipherAES256}

// readRecipients reads DBBACKUP_GPG_PUBLIC_KEY and checks that every key
// in it can be encrypted to now: a key with no valid encryption-capable
// (sub)key, or an expired or revoked one, would otherwise be found only
// when the first backup is written.
func readRecipients(armored string) (recipientList, error) {
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, fault.BadInput("DBBACKUP_GPG_PUBLIC_KEY: not a readable OpenPGP public key: %v", err)
	}
	now := pgpConfig.Now()
	for _, e := range keys {
		if _, ok := e.EncryptionKey(now); !ok {
			return nil, fault.BadInput("DBBACKUP_GPG_PUBLIC_KEY: key %X has no subkey that can encrypt today (none marked for encryption, or expired or revoked): add one (gpg --quick-add-key FINGERPRINT default encr) and export the key again", e.PrimaryKey.Fingerprint)
		}
	}
	return keys, nil
}

// encrypt returns a writer that encrypts to recipients in ASCII armour, as
// django-dbbackup's python-gnupg call does. Closing it finishes both layers.
func encrypt(w io.Writer, recipients recipientList) (io.WriteCloser, error) {
	armored, err := armor.Encode(w, "PGP MESSAGE", nil)
	if err != nil {
		return nil, fmt.Errorf("backup: armour: %w", err)
	}
	plain, err := openpgp.Encrypt(armored, recipients, nil, &openpgp.FileHints{IsBinary: true}, pgpConfig)
	if err != nil {
		return nil, fault.BadInput("DBBACKUP_GPG_PUBLIC_KEY: cannot encrypt to this key: %v", err)
	}
	return &stackedCloser{WriteCloser: plain, outer: armored}, nil
}

type stackedCloser struct {
	io.WriteCloser
	outer io.Closer
}

func (s *stackedCloser) Close() error {
	return errors.Join(s.WriteCloser.Close(), s.outer.Close())
}

// readPrivateKeys reads DBBACKUP_GPG_PRIVATE_KEY and unlocks it.
func readPrivateKeys(armored, passphrase string) (openpgp.EntityList, error) {
	if armored == "" {
		return nil, fault.BadInput("backup is encrypted (.gpg) but DBBACKUP_GPG_PRIVATE_KEY is not set")
	}
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, fault.BadInput("DBBACKUP_GPG_PRIVATE_KEY: not a readable OpenPGP private key: %v", err)
	}
	for _, e := range keys {
		if e.PrivateKey == nil {
			continue
		}
		locked := e.PrivateKey.Encrypted
		for _, sub := range e.Subkeys {
			locked = locked || (sub.PrivateKey != nil && sub.PrivateKey.Encrypted)
		}
		if !locked {
			continue
		}
		if passphrase == "" {
			return nil, fault.BadInput("DBBACKUP_GPG_PRIVATE_KEY is protected by a passphrase: set DBBACKUP_GPG_PASSPHRASE")
		}
		if err := e.DecryptPrivateKeys([]byte(passphrase)); err != nil {
			return nil, fault.BadInput("DBBACKUP_GPG_PASSPHRASE does not unlock DBBACKUP_GPG_PRIVATE_KEY")
		}
	}
	return keys, nil
}

// decrypt returns the plaintext of an OpenPGP message, armoured or binary.
// The integrity check runs when the plaintext is read to its end: a tampered
// or truncated message then fails the read.
func decrypt(r io.Reader, keys openpgp.EntityList) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(len("-----BEGIN PGP"))
	var body io.Reader = br
	if bytes.Equal(head, []byte("-----BEGIN PGP")) {
		block, err := armor.Decode(br)
		if err != nil {
			return nil, fault.BadInput("not an ASCII-armoured OpenPGP message: %v", err)
		}
		body = block.Body
	}
	md, err := openpgp.ReadMessage(body, keys, nil, pgpConfig)
	if err != nil {
		return nil, fault.BadInput("cannot decrypt with DBBACKUP_GPG_PRIVATE_KEY: %v", err)
	}
	return md.UnverifiedBody, nil
}

// digestWriter counts and hashes what passes through to w.
type digestWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newDigestWriter(w io.Writer) *digestWriter {
	return &digestWriter{w: w, h: sha256.New()}
}

func (d *digestWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	return n, err
}

func (d *digestWriter) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }
