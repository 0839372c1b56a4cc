package filemigrate_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/revisbali/worker/filemigrate"
)

// MIGRATE_FILE_FIELDS and repeated --field flags read the same way.
func ExampleParseFields() {
	fields, err := filemigrate.ParseFields([]string{"customers_customer.passport_file, invoices_invoice.pdf", "archive.documents_document.file"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fields {
		fmt.Printf("schema %q, table %q, column %q\n", f.Schema, f.Table, f.Column)
	}
	_, err = filemigrate.ParseFields([]string{"customers_customer"})
	fmt.Println(err)
	// Output:
	// schema "", table "customers_customer", column "passport_file"
	// schema "", table "invoices_invoice", column "pdf"
	// schema "archive", table "documents_document", column "file"
	// field "customers_customer": want TABLE.COLUMN or SCHEMA.TABLE.COLUMN
}

// The totals of a migration are the sum of its batch reports.
func ExampleReport_Add() {
	batches := []filemigrate.Report{
		{Rows: 500, Uploaded: 497, Missing: 3, Bytes: 41_000_000, MissingNames: []string{"a.pdf", "b.pdf", "c.pdf"}},
		{Rows: 120, Uploaded: 118, Skipped: 1, Missing: 1, Bytes: 9_000_000, MissingNames: []string{"d.pdf"}},
	}
	var total filemigrate.Report
	for _, b := range batches {
		total.Add(b, 2) // keep at most two names
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(total)
	// Output:
	// {
	//   "table": "",
	//   "column": "",
	//   "rows": 620,
	//   "uploaded": 615,
	//   "skipped": 1,
	//   "pending": 0,
	//   "missing": 4,
	//   "refused": 0,
	//   "failed": 0,
	//   "bytes": 50000000,
	//   "skipped_bytes": 0,
	//   "missing_names": [
	//     "a.pdf",
	//     "b.pdf"
	//   ],
	//   "truncated": true
	// }
}
