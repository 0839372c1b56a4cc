package filemigrate

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

func TestPlanBatches(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	// 23 named rows between empty and NULL ones; ids are not contiguous.
	var want []string
	for i := range 30 {
		switch {
		case i%10 == 3:
			b.exec(t, `INSERT INTO customers_customer (full_name, passport_file) VALUES ('x', NULL)`)
		case i%10 == 7:
			b.exec(t, `INSERT INTO customers_customer (full_name, passport_file) VALUES ('x', '')`)
		case i%10 == 9:
			b.exec(t, `INSERT INTO customers_customer (full_name, passport_file) VALUES ('x', 'deleted')`)
			b.exec(t, `DELETE FROM customers_customer WHERE passport_file = 'deleted'`)
		default:
			name := fmt.Sprintf("passports/%02d.pdf", i)
			want = append(want, name)
			b.exec(t, `INSERT INTO customers_customer (full_name, passport_file) VALUES ('x', $1)`, name)
		}
	}
	// A uuid key orders differently from its text form only in case; the
	// batches must still partition the rows.
	var docs []string
	for i := range 7 {
		name := fmt.Sprintf("docs/%d.pdf", i)
		docs = append(docs, name)
		b.exec(t, `INSERT INTO documents_document VALUES (gen_random_uuid(), 't', $1)`, name)
	}

	fields := []Field{{Table: "customers_customer", Column: "passport_file"}, {Table: "documents_document", Column: "file"}}
	plan, err := PlanBatches(ctx, b.pool, fields, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantPlan := []FieldPlan{
		{Field: Field{"public", "customers_customer", "passport_file"}, Key: "id", Rows: 21, Empty: 6, Batches: 5},
		{Field: Field{"public", "documents_document", "file"}, Key: "id", Rows: 7, Empty: 0, Batches: 2},
	}
	if !slices.Equal(plan.Fields, wantPlan) {
		t.Fatalf("plan = %+v; want %+v", plan.Fields, wantPlan)
	}
	if len(plan.Batches) != 7 {
		t.Fatalf("%d batches; want 7", len(plan.Batches))
	}

	// A row added after planning lands in the last batch of its field.
	b.exec(t, `INSERT INTO customers_customer (full_name, passport_file) VALUES ('late', 'passports/late.pdf')`)
	want = append(want, "passports/late.pdf")

	got := map[Field][]string{}
	for _, batch := range plan.Batches {
		names, _, err := batch.names(ctx, b.pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) == 0 || len(names) > 6 {
			t.Errorf("batch %+v has %d names", batch, len(names))
		}
		got[batch.Field] = append(got[batch.Field], names...)
	}
	if g := got[wantPlan[0].Field]; !slices.Equal(g, want) {
		t.Errorf("customer names over all batches = %q; want each named row once, in key order: %q", g, want)
	}
	g := got[wantPlan[1].Field]
	slices.Sort(g)
	if !slices.Equal(g, docs) {
		t.Errorf("document names over all batches = %q; want %q", g, docs)
	}
}

func TestPlanEmptyTable(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	plan, err := PlanBatches(context.Background(), b.pool, []Field{{Table: "invoices_invoice", Column: "pdf"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Batches) != 0 || plan.Fields[0].Rows != 0 || plan.Fields[0].Batches != 0 {
		t.Errorf("plan of an empty table = %+v; want no batches", plan)
	}
}
