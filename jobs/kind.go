package jobs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/config"
)

// Kind declares one job kind: everything the worker, the enqueue CLI and
// Django's kit need to know about it. Each kind's file holds one, made by
// Define and listed by declare.
type Kind struct {
	// Name is the kind Django inserts; it never changes (a rename needs
	// River's KindAliases).
	Name string
	// Queue is one of the queues of docs/river.md, each with its own
	// concurrency in config.Worker.
	Queue string
	// Timeout is how long one attempt may take before its context is
	// cancelled.
	Timeout time.Duration
	// TimeoutFrom, when set, reads the operator's Timeout from the
	// configuration (zero keeps Timeout); Register applies it.
	TimeoutFrom func(config.Config) time.Duration
	// MaxAttempts counts the first attempt.
	MaxAttempts int
	// Unique is what makes two inserts one job; zero makes every insert a
	// new job.
	Unique river.UniqueOpts
	// Files are the keys of the output that hold a stored file as
	// {"name": ...}. Outputs keep names only, since a URL made when the job
	// ran would expire: readers (`enqueue --json`, the Django kit's
	// job_result) add a fresh "url" beside each name.
	Files []string
	// Variants change the insert options when a boolean argument is true.
	Variants []Variant
	// Description says in one line what a job of this kind does.
	Description string
	// Command is how `enqueue` inserts this kind by hand; nil for a kind
	// only the worker inserts.
	Command *Command
	// Periodic are the jobs River's elected leader inserts on a schedule.
	Periodic func(config.Config) ([]*river.PeriodicJob, error)

	args      reflect.Type
	newWorker func(Deps, Kind) (func(*river.Workers) error, error)
}

// Variant replaces a kind's attempts and uniqueness for the jobs whose
// boolean argument When (its JSON name) is true.
type Variant struct {
	When        string
	MaxAttempts int
	Unique      river.UniqueOpts
}

// Command is a kind's verb in the enqueue CLI: a positional argument and
// flags, each filling the job argument of the same JSON name.
type Command struct {
	Verb string
	// Positional is the argument after the verb, if the verb takes one.
	Positional *Positional
	Flags      []Flag
	// Usage, when set, replaces the synopsis made from Positional and
	// Flags (before --wait and --json), for a verb whose arguments depend
	// on each other.
	Usage string
	// Check refuses what the flags allow but the kind does not; its
	// message names flags, not arguments.
	Check func(river.JobArgs) error
}

// Positional is a verb's one positional argument.
type Positional struct {
	// Placeholder names it in usage lines, e.g. NAME.
	Placeholder string
	// Arg is the job argument it fills.
	Arg string
	// Optional lets it be left out.
	Optional bool
	Usage    string
}

// Flag fills the job argument Arg. Its type is the argument's: a bool
// flag, a string or int flag, or a repeatable flag for a list.
type Flag struct {
	Name string
	Arg  string
	// Placeholder names the value in usage lines (none for a bool flag).
	Placeholder string
	Usage       string
}

// Define completes a kind's declaration with its args type T and the worker
// that works it. newWorker returns a nil worker when deps lack what it needs
// (the passport reader without an OCR pool): the kind is then left out of
// Register, and its jobs wait in the queue for a worker that can run them.
func Define[T river.JobArgs](k Kind, newWorker func(Deps) (river.Worker[T], error)) Kind {
	var zero T
	if zero.Kind() != k.Name {
		panic(fmt.Sprintf("jobs: %T.Kind() is %q, declared as %q", zero, zero.Kind(), k.Name)) // a typo, caught by any test
	}
	k.args = reflect.TypeFor[T]()
	k.newWorker = func(deps Deps, k Kind) (func(*river.Workers) error, error) {
		w, err := newWorker(deps)
		if err != nil || w == nil {
			return nil, err
		}
		return func(ws *river.Workers) error {
			return river.AddWorkerSafely(ws, &declared[T]{Worker: w, timeout: k.Timeout})
		}, nil
	}
	return k
}

// declared is a kind's worker with the declared timeout.
type declared[T river.JobArgs] struct {
	river.Worker[T]
	timeout time.Duration
}

func (w *declared[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }

// kinds are the declarations of this package's files, in file order.
var kinds []Kind

// declare adds a kind to Kinds; each kind's file calls it once, in a
// package variable's initializer.
func declare(k Kind) Kind {
	kinds = append(kinds, k)
	return k
}

// Kinds lists every declared kind, whether or not this worker can work it.
func Kinds() []Kind { return slices.Clone(kinds) }

// Lookup finds a declared kind by name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return kinds[i], true
}

// InsertOpts are the options a job of this kind is inserted with: the
// kind's, or a variant's when its argument is true.
func (k Kind) InsertOpts(args river.JobArgs) river.InsertOpts {
	opts := river.InsertOpts{Queue: k.Queue, MaxAttempts: k.MaxAttempts, UniqueOpts: k.Unique}
	if len(k.Variants) == 0 {
		return opts
	}
	var set map[string]any
	if b, err := json.Marshal(args); err == nil {
		_ = json.Unmarshal(b, &set)
	}
	for _, v := range k.Variants {
		if set[v.When] == true {
			opts.MaxAttempts, opts.UniqueOpts = v.MaxAttempts, v.Unique
			break
		}
	}
	return opts
}

// NewArgs decodes a job's arguments from their JSON into the kind's args
// type.
func (k Kind) NewArgs(data []byte) (river.JobArgs, error) {
	if k.args == nil {
		return nil, fmt.Errorf("kind %q has no args type", k.Name)
	}
	p := reflect.New(k.args)
	if err := json.Unmarshal(data, p.Interface()); err != nil {
		return nil, err
	}
	return p.Elem().Interface().(river.JobArgs), nil
}

// ShortestTimeout is the shortest Timeout among kinds. River's rescuer
// (0.51) leaves a running job alone until its own worker's Timeout has
// passed, so the daemon sets RescueStuckJobsAfter to this: a job whose
// worker died is worked again once its own timeout is over, not after the
// longest kind's.
func ShortestTimeout(kinds []Kind) time.Duration {
	var shortest time.Duration
	for i, k := range kinds {
		if i == 0 || k.Timeout < shortest {
			shortest = k.Timeout
		}
	}
	return shortest
}

// Registry is what the daemon works: the workers, their kinds, and the
// jobs River's elected leader enqueues on a schedule.
type Registry struct {
	Workers  *river.Workers
	Kinds    []Kind
	Periodic []*river.PeriodicJob
}

// Register adds a worker for every declared kind whose worker can run with
// deps.
func Register(deps Deps) (*Registry, error) {
	return RegisterKinds(deps, kinds)
}

// RegisterKinds is Register for the given kinds.
func RegisterKinds(deps Deps, kinds []Kind) (*Registry, error) {
	r := &Registry{Workers: river.NewWorkers()}
	for _, k := range kinds {
		if k.newWorker == nil {
			return nil, fmt.Errorf("jobs: register %s: not made by Define", k.Name)
		}
		if k.TimeoutFrom != nil {
			if t := k.TimeoutFrom(deps.Config); t > 0 {
				k.Timeout = t
			}
		}
		add, err := k.newWorker(deps, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.Name, err)
		}
		if add == nil {
			continue
		}
		if err := add(r.Workers); err != nil {
			return nil, fmt.Errorf("jobs: register %s: %w", k.Name, err)
		}
		r.Kinds = append(r.Kinds, k)
		if k.Periodic != nil {
			periodic, err := k.Periodic(deps.Config)
			if err != nil {
				return nil, err
			}
			r.Periodic = append(r.Periodic, periodic...)
		}
	}
	return r, nil
}

// Arg is one argument of a kind: a field of its args type, named as in
// the job's JSON.
type Arg struct {
	Name string `json:"name"`
	// Type is the JSON type: string, boolean, integer, or array (of Items).
	Type  string `json:"type"`
	Items string `json:"items,omitempty"`
	// Nullable arguments may be null.
	Nullable bool `json:"nullable,omitempty"`
	// OmitEmpty arguments are left out of the JSON when zero; the others are
	// written even then. River's unique key hashes that JSON.
	OmitEmpty bool `json:"omitempty"`
	// Unique arguments (river:"unique") alone make the job's identity when
	// the kind is unique by arguments.
	Unique bool `json:"unique,omitempty"`
}

// Args lists the kind's arguments in the order of its args type's fields,
// which is the order Go writes them in.
func (k Kind) Args() []Arg {
	if k.args == nil {
		return nil
	}
	var args []Arg
	for i := range k.args.NumField() {
		f := k.args.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		a := Arg{Name: name, OmitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty"), Unique: f.Tag.Get("river") == "unique"}
		t := f.Type
		if t.Kind() == reflect.Pointer {
			a.Nullable, t = true, t.Elem()
		}
		a.Type = jsonType(t)
		if t.Kind() == reflect.Slice {
			a.Items = jsonType(t.Elem())
		}
		args = append(args, a)
	}
	return args
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}
