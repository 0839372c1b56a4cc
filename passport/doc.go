// Package passport reads the machine-readable zone (MRZ) of travel documents
// as defined by ICAO Doc 9303: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44),
// MRV-A (2 x 44) and MRV-B (2 x 36).
//
// Parse takes the zone's lines; ParseText takes raw OCR output, finds the
// zone inside it and aligns it to its format first. Both repair common OCR
// confusions only where the check digits confirm a single answer, and report
// the lines as read, the lines as repaired and every correction made.
//
// The package uses only the standard library; reading images is the job of
// the OCR layer.
package passport
