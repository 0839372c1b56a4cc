package passport_test

import (
	"fmt"
	"time"

	"github.com/revisbali/worker/passport"
)

func ExampleParseText() {
	// OCR output of a passport page: text around the zone, a guillemet for
	// "<<", stray spaces, and the letter O read for a zero in the birth date.
	text := `UTOPIA PASSPORT
Surname ERIKSSON
P<UTOERIKSSON«ANNA<MARIA<<<<<<<<<<<<<<<<<<<
L898902C36UTO 74O8122F1204159ZE184226B<<<<<10
`
	r, err := passport.ParseText(text, passport.ParseOptions{Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Format, r.Valid, r.DocumentNumber, r.Surname+",", r.GivenNames)
	fmt.Println(r.Nationality, r.BirthDate, r.Sex, r.ExpiryDate)
	for _, c := range r.Corrections {
		if c.Field != "" {
			fmt.Printf("line %d position %d %s: %s -> %s\n", c.Line, c.Position, c.Field, c.From, c.To)
		}
	}
	// Output:
	// TD3 true L898902C3 ERIKSSON, ANNA MARIA
	// UTO 1974-08-12 F 2012-04-15
	// line 2 position 16 birth_date: O -> 0
}

func ExampleParse() {
	r, err := passport.Parse([]string{
		"I<UTOD23145890<7349<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}, passport.ParseOptions{Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Format, r.Valid, r.DocumentNumber, r.LongDocumentNumber, r.Checks["composite"])
	// Output:
	// TD1 true D23145890734 standard true
}

func ExampleCheckDigit() {
	d, _ := passport.CheckDigit("L898902C3")
	fmt.Println(string(d))
	// Output: 6
}
