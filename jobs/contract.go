package jobs

import (
	"fmt"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivershared/uniquestates"
	"github.com/riverqueue/river/rivertype"
)

// Contract is every kind as another program must insert it: what
// `enqueue kinds --json` prints and Django's kit is checked against.
type Contract struct {
	Kinds []KindContract `json:"kinds"`
}

// KindContract is one kind's entry in the Contract.
type KindContract struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Queue       string `json:"queue"`
	// App says whether an application (Django, the enqueue CLI) may insert
	// it: false for a kind only the worker inserts (a migration's batches).
	App bool `json:"app"`
	// Verb is the kind's enqueue verb; empty for a kind only the worker
	// inserts.
	Verb           string `json:"verb,omitempty"`
	TimeoutSeconds int64  `json:"timeout_seconds"`
	MaxAttempts    int    `json:"max_attempts"`
	// Unique is nil for a kind whose every insert is a new job.
	Unique   *UniqueContract   `json:"unique"`
	Variants []VariantContract `json:"variants,omitempty"`
	// Args are in the order Go writes them, which River's unique key hashes.
	Args []ArgContract `json:"args"`
	// Files are the output's keys holding a stored file's {"name"}; a
	// reader adds its URL.
	Files []string `json:"files"`
}

// ArgContract is an argument, whether an insert must give it, and whether
// it is the worker's own: an argument the enqueue verb cannot set (the
// leader's catch_up check) is not an application's to set either.
type ArgContract struct {
	Arg
	Required bool `json:"required"`
	Internal bool `json:"internal,omitempty"`
}

// UniqueContract is River's UniqueOpts as a raw SQL insert needs them.
type UniqueContract struct {
	// Args are the arguments hashed into the unique key; empty when the
	// key does not depend on them.
	Args []string `json:"args"`
	// PeriodSeconds, when not 0, makes one job per period of that length,
	// counted from the Unix epoch in UTC.
	PeriodSeconds int64 `json:"period_seconds"`
	// States are those in which a job blocks an equal one; StatesBitmask is
	// the same as the bit(8) literal of river_job.unique_states.
	States        []rivertype.JobState `json:"states"`
	StatesBitmask string               `json:"states_bitmask"`
}

// VariantContract replaces the kind's attempts and uniqueness when the
// boolean argument When is true.
type VariantContract struct {
	When        string          `json:"when"`
	MaxAttempts int             `json:"max_attempts"`
	Unique      *UniqueContract `json:"unique"`
}

// ContractOf describes kinds.
func ContractOf(kinds []Kind) Contract {
	c := Contract{Kinds: []KindContract{}}
	for _, k := range kinds {
		args := k.Args()
		kc := KindContract{
			Name: k.Name, Description: k.Description, Queue: k.Queue,
			TimeoutSeconds: int64(k.Timeout.Seconds()), MaxAttempts: k.MaxAttempts,
			Unique: uniqueContract(k.Unique, args), Args: []ArgContract{},
			Files: append([]string{}, k.Files...),
		}
		if k.Command != nil {
			kc.App, kc.Verb = true, k.Command.Verb
		}
		for _, v := range k.Variants {
			kc.Variants = append(kc.Variants, VariantContract{When: v.When, MaxAttempts: v.MaxAttempts, Unique: uniqueContract(v.Unique, args)})
		}
		for _, a := range args {
			ac := ArgContract{Arg: a}
			if cmd := k.Command; cmd != nil {
				p := cmd.Positional != nil && cmd.Positional.Arg == a.Name
				ac.Required = p && !cmd.Positional.Optional
				ac.Internal = !p && !slices.ContainsFunc(cmd.Flags, func(f Flag) bool { return f.Arg == a.Name })
			}
			kc.Args = append(kc.Args, ac)
		}
		c.Kinds = append(c.Kinds, kc)
	}
	return c
}

func uniqueContract(u river.UniqueOpts, args []Arg) *UniqueContract {
	if !u.ByArgs && u.ByPeriod == 0 && !u.ByQueue && len(u.ByState) == 0 {
		return nil
	}
	c := &UniqueContract{Args: []string{}, PeriodSeconds: int64(u.ByPeriod.Seconds()), States: u.ByState}
	if u.ByArgs {
		// River hashes the river:"unique" arguments, or all when none is
		// tagged.
		for _, a := range args {
			if a.Unique {
				c.Args = append(c.Args, a.Name)
			}
		}
		if len(c.Args) == 0 {
			for _, a := range args {
				c.Args = append(c.Args, a.Name)
			}
		}
	}
	if len(c.States) == 0 {
		c.States = rivertype.UniqueOptsByStateDefault()
	}
	c.States = slices.Clone(c.States)
	slices.Sort(c.States)
	// River's byte, written as Postgres writes the bit(8) it stores.
	c.StatesBitmask = fmt.Sprintf("%08b", uniquestates.UniqueStatesToBitmask(c.States))
	return c
}
