package cache

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ItemError is one failed item of a batch read.
type ItemError struct {
	Index int    // the item's position in the request
	Name  string // the parameter name or secret id as requested
	Err   error  // why it failed: a *RequestError or an upstream error
}

func (e ItemError) Error() string { return fmt.Sprintf("%q: %v", e.Name, e.Err) }

// Unwrap returns the item's error.
func (e ItemError) Unwrap() error { return e.Err }

// BatchError reports the items of a batch read that failed; the others
// succeeded. errors.Is and errors.As see every item's error.
type BatchError struct {
	Items []ItemError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of the batch failed", len(e.Items))
	for i, it := range e.Items {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Items)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(it.Error())
	}
	return b.String()
}

// Unwrap returns every item's error.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Items))
	for i, it := range e.Items {
		errs[i] = it
	}
	return errs
}

// failures collects the failed items of a batch read. It is safe for
// concurrent use.
type failures struct {
	mu    sync.Mutex
	items []ItemError
}

func (f *failures) add(i int, name string, err error) {
	f.mu.Lock()
	f.items = append(f.items, ItemError{Index: i, Name: name, Err: err})
	f.mu.Unlock()
}

// err returns the items, in request order, as a *BatchError; nil if none.
func (f *failures) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) == 0 {
		return nil
	}
	items := slices.Clone(f.items)
	slices.SortFunc(items, func(a, b ItemError) int { return cmp.Compare(a.Index, b.Index) })
	return &BatchError{Items: items}
}
