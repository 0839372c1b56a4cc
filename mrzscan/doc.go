// Package mrzscan finds and reads the machine-readable zone (MRZ) of
// passports, ID cards and visas in images and PDFs, and hands the text to
// the passport package's parser, which validates and repairs it.
//
// # How a document is read
//
//  1. Pages: an image is decoded upright by its EXIF orientation (every
//     page of a multi-page TIFF is tried); each page of a PDF is first
//     searched for a zone in its text layer, then rendered at Config.DPI.
//     Reading stops at the first page with a valid zone.
//  2. Locating, on a gray working copy of 1000 pixels (then 2000 when that
//     finds nothing in a large image): a blackhat filter keeps thin dark
//     strokes (text) and drops photos, backgrounds and shading; the text
//     direction is the angle, within 15 degrees of horizontal or vertical,
//     whose projection profile is sharpest; along it, glyphs are joined
//     into lines, each line's own slope is fitted (a document askew on a
//     straight page), and runs of two or three parallel, equally long,
//     evenly spaced lines of about 30, 36 or 44 glyphs, with no alike line
//     above or below (body text), are the candidate zones. Which way up a
//     zone is follows from where the document's printed content lies.
//  3. Cropping from the full-resolution image, in one resampling: turned
//     along the zone's lines, skew refined on the crop, glyphs scaled to
//     about 34 pixels (enlarged with Catmull-Rom for thumbnails, reduced
//     by area averaging for large photos), with a white border.
//  4. Recognising with the MRZ-trained Tesseract model (Language, from
//     Config.TessdataDir) restricted to Alphabet, through a Recognizer
//     (the worker's ocr.Pool). A bounded list of attempts, stopping as
//     soon as the zone is valid: each candidate as located, the other way
//     up; then the zones that gave a reading, background flattened (glare,
//     colour), line by line (page segmentation 7), with smaller and larger
//     glyphs, from the page's brightest channel (a coloured mark drawn over
//     the zone fades there, the black print stays); then lines combined
//     across attempts; then the whole page, as the simplest readers do;
//     when still nothing zone-like was read, zones whose lines are spaced
//     wider than their thinner line allows (a first line of mostly '<'),
//     judged against the thicker.
//     A valid reading with a line longer than its format (a character too
//     many, which the parser dropped by guess) does not stop the search.
//
// The search is bounded by work, never by time: at most MaxRecognitions
// Tesseract runs per document, spent in the fixed order above, so a file
// gets the same answer (fields, warnings, "no zone") on an idle machine and
// on one whose cores are all busy. Waiting for an engine or for the CPU
// costs nothing. Only the caller's context ends a read early, and then with
// its error, never with a partial answer.
//
// A zone whose glyphs are under 14 pixels high in the original (a
// thumbnail) counts as valid only when two attempts read it the same: at
// that size two misread characters can cancel out in a check digit, and a
// wrong number that looks valid is worse than one marked invalid.
package mrzscan
