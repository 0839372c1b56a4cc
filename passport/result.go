package passport

import "image"

// Result is one machine-readable zone read apart. Its JSON form is the
// output of the passport_mrz job (the job fills Name).
//
// Dates are YYYY-MM-DD. ICAO lets an issuer write "<<" for an unknown day or
// month (or year): an unknown day gives YYYY-MM, an unknown month YYYY, an
// unknown year an empty string; the *_raw fields always hold the six
// characters as printed. Sex is "M", "F", "X", or "" when the zone says '<'
// (unspecified).
type Result struct {
	Name           string `json:"name"`
	Valid          bool   `json:"valid"`
	Format         Format `json:"format"`
	DocumentType   string `json:"document_type"`
	IssuingCountry string `json:"issuing_country"`
	Surname        string `json:"surname"`
	GivenNames     string `json:"given_names"`
	// NamesTruncated is set when the names fill their field to the last
	// character, which is how ICAO marks a name cut to fit.
	NamesTruncated bool   `json:"names_truncated"`
	DocumentNumber string `json:"document_number"`
	Nationality    string `json:"nationality"`
	BirthDate      string `json:"birth_date"`
	BirthDateRaw   string `json:"birth_date_raw"`
	Sex            string `json:"sex"`
	ExpiryDate     string `json:"expiry_date"`
	ExpiryDateRaw  string `json:"expiry_date_raw"`
	// PersonalNumber is TD3's personal number field; for the other formats it
	// is the first non-empty optional data field (where issuers usually put
	// one).
	PersonalNumber string `json:"personal_number"`
	// OptionalData holds the optional data fields as printed, fillers turned
	// to spaces and trimmed: two on TD1, one on TD2 and visas, none on TD3.
	OptionalData []string `json:"optional_data,omitempty"`
	// LongDocumentNumber describes a TD1/TD2 number longer than nine
	// characters: "standard" when its check digit skips the '<' before the
	// overflow, "with_filler" when it counts it.
	LongDocumentNumber string `json:"long_document_number,omitempty"`
	// MRZ holds the zone after alignment and repair; RawMRZ the lines as
	// they were read.
	MRZ    []string `json:"mrz"`
	RawMRZ []string `json:"raw_mrz"`
	// Checks holds each check digit (document_number, birth_date,
	// expiry_date, personal_number on TD3, composite on TD1/TD2/TD3) and
	// each rule the zone must meet (document_type, issuing_country,
	// nationality, sex, and filler: no lone K-like letter after the fillers
	// of a data field, a misreading no check digit catches). Valid is true
	// only when every entry is true.
	Checks      map[string]bool `json:"checks"`
	Corrections []Correction    `json:"corrections"`
	Warnings    []string        `json:"warnings,omitempty"`
	// NeedsReview names, by their JSON names, the fields a person must
	// check against the document before using them (see Review). Empty
	// means every field can be taken as read: straight-through processing.
	NeedsReview []string `json:"needs_review"`
	// Print holds, for each field compared with the printed data page,
	// "agrees", "differs" or "not found" (package printpage); absent when
	// the page was not looked at.
	Print map[string]string `json:"print,omitempty"`
	// Portrait names the holder's photograph, cropped from the document
	// and stored beside the scan (the job stores HolderCrop and fills it);
	// absent when no face-like portrait was found.
	Portrait *Portrait `json:"portrait,omitempty"`
	// Crop is the portrait as found, for the caller to store; never output.
	Crop *Crop `json:"-"`
	// Confidence is a rough 0-1 score: 1 for a zone read clean and valid,
	// lower for each correction, warning and failed check.
	Confidence float64 `json:"confidence"`
	// Others are the further zones found in the same image (a visa sticker
	// and the passport's own data page), each read as fully as this one;
	// the reading above is the first found.
	Others []*Result `json:"others,omitempty"`
}

// HolderCrop is the holder's portrait the job stores: the first crop of a
// passport or card (this zone's, else one of Others'), else the first of a
// visa's. Nil when none was found.
func (r *Result) HolderCrop() *Crop {
	all := append([]*Result{r}, r.Others...)
	for _, visa := range []bool{false, true} {
		for _, z := range all {
			if z.Crop != nil && (z.Format == MRVA || z.Format == MRVB) == visa {
				return z.Crop
			}
		}
	}
	return nil
}

// Portrait is a stored portrait: its name in storage (job outputs hold
// names; URLs are made fresh when read).
type Portrait struct {
	Name string `json:"name"`
}

// Crop is a portrait cropped from the image that was read: the picture and
// its corners in that image's pixels (top left, top right, bottom right,
// bottom left of the upright photo).
type Crop struct {
	Image   image.Image
	Corners [4][2]float64
}

// Correction is one change made to what OCR read. Line and Position count
// from 1 (ICAO numbers positions from 1); Position 0 means the change is not
// tied to one character (a line re-aligned, spaces dropped).
type Correction struct {
	Line     int    `json:"line"`
	Position int    `json:"position"`
	Field    string `json:"field,omitempty"`
	From     string `json:"from"`
	To       string `json:"to"`
	Reason   string `json:"reason"`
}
