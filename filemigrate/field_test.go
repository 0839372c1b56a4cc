package filemigrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/revisbali/worker/fault"
)

func TestParseField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Field
		bad  bool
	}{
		{in: "customers_customer.passport_file", want: Field{Table: "customers_customer", Column: "passport_file"}},
		{in: " public.invoices_invoice.pdf ", want: Field{Schema: "public", Table: "invoices_invoice", Column: "pdf"}},
		{in: `weird"table.col`, want: Field{Table: `weird"table`, Column: "col"}},
		{in: "nodot", bad: true},
		{in: "a.b.c.d", bad: true},
		{in: ".col", bad: true},
		{in: "table.", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseField(tt.in)
		if tt.bad {
			if !fault.IsBadInput(err) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseField(%q) = %v, %v; want a bad-input error naming the input", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseField(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFields(t *testing.T) {
	t.Parallel()
	got, err := ParseFields([]string{"a.x, b.y", "a.x c.z"})
	want := []Field{{Table: "a", Column: "x"}, {Table: "b", Column: "y"}, {Table: "c", Column: "z"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseFields = %+v, %v; want %+v", got, err, want)
	}
	if _, err := ParseFields([]string{"a.x,broken"}); !fault.IsBadInput(err) {
		t.Errorf("ParseFields with a broken item: %v; want bad input", err)
	}
}

func TestPlanRefusesUnknownFields(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	tests := []struct {
		field   string
		want    error
		message string
	}{
		{"customers_customer.nope", ErrNoField, `table "customers_customer" has no column "nope"`},
		{"nope_table.file", ErrNoField, `table "nope_table" does not exist in the current schema`},
		{"other.customers_customer.passport_file", ErrNoField, `does not exist in schema "other"`},
		{"invoices_invoice.total", ErrNoField, `column "total" is numeric, not a character column`},
		{"links_attachment.file", ErrNoKey, `composite primary key (owner_id, position)`},
		// An injection attempt is just a name that does not exist.
		{`customers_customer.passport_file"; DROP TABLE customers_customer; --`, ErrNoField, "has no column"},
	}
	for _, tt := range tests {
		f, err := ParseField(tt.field)
		if err != nil {
			t.Fatal(err)
		}
		_, err = PlanBatches(context.Background(), b.pool, []Field{{Table: "invoices_invoice", Column: "pdf"}, f}, 10)
		if !errors.Is(err, tt.want) || !fault.IsBadInput(err) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("PlanBatches(%s) = %v; want %v saying %q", tt.field, err, tt.want, tt.message)
		}
	}
	var n int
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM customers_customer").Scan(&n); err != nil {
		t.Fatalf("customers_customer is gone: %v", err)
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	b.customers(t, 8, 100)
	// avatar: 3 of 8 exist, below half: reported, not kept.
	for i, name := range []string{"avatars/a.png", "avatars/b.png", "avatars/c.png"} {
		b.file(t, name, 10)
		b.exec(t, `UPDATE customers_customer SET avatar = $1 WHERE id = $2`, name, i+1)
	}
	b.exec(t, `UPDATE customers_customer SET avatar = 'avatars/gone.png' WHERE id > 3`)
	// invoices: 3 of 4 exist, one dangling: kept.
	for i, name := range []string{"invoices/2026/INV-1.pdf", "invoices/2026/INV 2 (copy).pdf", "invoices/2026/Ünïcødé.pdf", "invoices/2026/missing.pdf"} {
		if i < 3 {
			b.file(t, name, 50)
		}
		b.exec(t, `INSERT INTO invoices_invoice (number, pdf) VALUES ($1, $2)`, name[len("invoices/2026/"):], name)
	}
	// A composite key table naming files: reported, not kept.
	b.file(t, "attachments/x.txt", 5)
	b.exec(t, `INSERT INTO links_attachment VALUES (1, 1, 'attachments/x.txt')`)
	// A name escaping the root never counts, even if the file exists there.
	outside := filepath.Join(filepath.Dir(b.media), "outside.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.exec(t, `INSERT INTO documents_document VALUES (gen_random_uuid(), 'escape', $1)`, "../outside.txt")
	// A folder is not a file.
	b.exec(t, `INSERT INTO documents_document VALUES (gen_random_uuid(), 'folder', 'passports')`)

	d, err := Discover(ctx, b.pool, b.root, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Candidate{}
	for _, c := range d.Candidates {
		got[c.Field.String()] = c
	}
	want := map[string]struct {
		kept              bool
		sampled, existing int
		reason            string
	}{
		"public.customers_customer.passport_file": {true, 8, 8, "8 of 8 sampled values name files under MEDIA_ROOT"},
		"public.customers_customer.avatar":        {false, 8, 3, "only 3 of 8"},
		"public.invoices_invoice.pdf":             {true, 4, 3, "3 of 4 sampled values"},
		"public.links_attachment.file":            {false, 1, 1, "composite primary key"},
	}
	if len(got) != len(want) {
		t.Errorf("candidates = %+v; want %d of them", d.Candidates, len(want))
	}
	for name, w := range want {
		c, ok := got[name]
		if !ok {
			t.Errorf("%s not reported", name)
			continue
		}
		if c.Kept != w.kept || c.Sampled != w.sampled || c.Existing != w.existing || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("%s = %+v; want kept=%v sampled=%d existing=%d reason containing %q", name, c, w.kept, w.sampled, w.existing, w.reason)
		}
	}
	if d.Columns != 11 {
		t.Errorf("scanned %d character columns; the schema has 11", d.Columns)
	}
	fields := d.Fields()
	wantFields := []Field{{"public", "customers_customer", "passport_file"}, {"public", "invoices_invoice", "pdf"}}
	if !reflect.DeepEqual(fields, wantFields) {
		t.Errorf("Fields() = %+v; want %+v", fields, wantFields)
	}
}
