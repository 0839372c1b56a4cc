package passport

import "testing"

func BenchmarkParseText(b *testing.B) {
	texts := map[string]string{
		"clean TD3": "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n",
		"noisy TD3": "UTOPIA PASSPORT\nP<UTOERIKSSON«ANNA<MARIA<<<<<<K<<<<<<<<<<\nL8989O2C36UTO 74O8122F12O4159ZE184226B<<<<1O\n",
		"noisy TD1": "i<utoD23145890<7349<<<<<<<<<<<\n74O8122F12O4159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}
	for name, text := range texts {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseText(text, ParseOptions{Now: refNow}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
