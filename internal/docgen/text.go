package docgen

import "strings"

// Letter is a page of the kind of text the worker reads: names, numbers,
// dates, addresses and punctuation, each line short enough for A4 at 11 pt.
const Letter = `PT Revis Bali Consulting
Jalan Sunset Road No. 88, Kuta, Badung, Bali 80361
Telephone +62 361 475 2290, invoices@revisbali.example

Denpasar, 14 March 2024
Reference: VISA/2024/03/0147

To the Head of the Immigration Office, Class I TPI Denpasar

Subject: Extension of a social visit visa (B211A)

Dear Sir or Madam,

We hereby request the first extension of the visit visa of the
applicant named below, who entered Indonesia on 2 February 2024
through I Gusti Ngurah Rai International Airport.

Full name: Margaret Eleanor Whitfield
Nationality: Australian
Passport number: PA4471936, valid until 21 November 2031
Date of birth: 9 July 1978, Ballarat
Address in Bali: Villa Kemuning 12B, Jalan Raya Ubud, Gianyar

The sponsor guarantees the applicant's conduct and departure,
and has paid the fee of IDR 2,000,000 (receipt 556-0193-A).
Enclosed: copy of the passport, photograph (4 x 6 cm, red
background), return ticket QZ 8291, and bank statement.

Should you need further documents, please contact our office
between 08:00 and 16:00, Monday to Friday.

Yours faithfully,

Ni Made Sari Dewi
Director`

// Invoice is a second page, with tables of figures.
const Invoice = `INVOICE No. INV-2024-0391                 Date: 28/03/2024

Bill to: Johan van der Berg, Jl. Pantai Berawa 7, Canggu

Item                                  Qty     Price (IDR)
KITAS application service               1       9,500,000
Document translation (3 pages)          3         450,000
Courier to Jakarta                      1         175,000
Photo session and printing              2          80,000

Subtotal                                       10,205,000
VAT 11%                                         1,122,550
Total due                                      11,327,550

Payment within 14 days to Bank Mandiri, account 145-00-1234567-8,
in the name of PT Revis Bali Consulting. Please quote the
invoice number with your payment. Thank you for your trust.`

// CharAccuracy is 1 minus the edit distance between want and got over the
// length of want, after collapsing runs of white space: layout is not
// what OCR is judged on, characters are.
func CharAccuracy(want, got string) float64 {
	w, g := []rune(strings.Join(strings.Fields(want), " ")), []rune(strings.Join(strings.Fields(got), " "))
	if len(w) == 0 {
		if len(g) == 0 {
			return 1
		}
		return 0
	}
	prev, cur := make([]int, len(g)+1), make([]int, len(g)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(w); i++ {
		cur[0] = i
		for j := 1; j <= len(g); j++ {
			cost := 1
			if w[i-1] == g[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return max(0, 1-float64(prev[len(g)])/float64(len(w)))
}
