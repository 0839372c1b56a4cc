// Package passport reads the machine-readable zone (MRZ) of travel documents
// as defined by ICAO Doc 9303: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44),
// MRV-A (2 x 44) and MRV-B (2 x 36), and the French national identity card
// of 1988-2021 (FRID, 2 x 36 in France's own layout: the surname and the
// issuing office on line 1; the 12-character card number, the given
// names, the birth date, the sex and a composite over both lines on line 2;
// no expiry date or nationality field). A 36-wide zone starting IDFRA is
// read both as FRID and as TD2; the reading whose checks pass wins.
//
// Parse takes the zone's lines; ParseText takes raw OCR output, finds the
// zone inside it and aligns it to its format first. Both return every field,
// every check digit's verdict, the lines as read and as repaired, and every
// correction made. The package uses only the standard library; reading
// images is the OCR layer's job.
//
// # What is repaired
//
// A wrong field that still looks valid is worse than a field marked invalid,
// so repairs are limited to what the zone itself proves:
//
//   - Layout: stray spaces, lower case and characters outside the MRZ
//     alphabet are dropped or raised, '«' is read as "<<", and a line that is
//     too long or too short gains or loses fillers inside a run of '<' (the
//     choice that best fits the format's check digits, codes and character
//     classes wins).
//   - Check-digit fields: a letter where only a digit may stand (a date, a
//     check digit) becomes its look-alike digit (O, D, Q, C: 0; I, L: 1;
//     Z: 2; S: 5; G: 6; T: 7; B: 8); a filler look-alike (X, S, C, E) between two
//     fillers becomes '<'. Such edits are kept only when the field's check
//     digit then passes and, where the format has a composite check digit,
//     when every cheapest reading of the zone passing all checks makes them.
//     A field that passes is never rewritten.
//   - Letter/digit swaps inside a document or personal number are not
//     applied on the check digits alone: the issuer may use either, a
//     mod-10 check digit cannot say which character is wrong, and the
//     composite adds nothing there (its weights line up with those fields'
//     own). The readings one swap away that would pass are listed in
//     Warnings instead. One exception, when ParseOptions.Glyphs says what
//     OCR knew: a document number failing its check takes the only swap
//     that makes every check of the zone pass (every other check passing
//     already) when OCR was unsure of that character; Review then lists
//     the number in NeedsReview as repaired.
//   - State codes no table knows are snapped to the only ISO 3166-1 or ICAO
//     code within OCR confusion distance, if there is exactly one.
//   - Names and a visa's optional data, which no check digit covers: short
//     runs of filler look-alikes after the names (or after two fillers) are
//     cleared; a lone look-alike ending the names with only filler after it
//     is taken for filler.
//
// Some damage is invisible to any check digit: L/1, G/6 and K/< have equal
// check values. A lone K after the fillers of a data field makes the
// "filler" check fail; the other swaps cannot be caught by any reader.
package passport
