package pipeline

import (
	"sync"

	"github.com/fromscratch/fromscratch/internal/image"
)

// onceEach computes a value once per key for a run: the first caller
// computes it, the others wait for its result (the error included).
// forget drops what was computed, so that a new run computes it again.
type onceEach[V any] struct {
	mu sync.Mutex
	by map[string]*onceValue[V]
}

type onceValue[V any] struct {
	once sync.Once
	v    V
	err  error
}

func (o *onceEach[V]) get(key string, compute func() (V, error)) (V, error) {
	o.mu.Lock()
	if o.by == nil {
		o.by = map[string]*onceValue[V]{}
	}
	e := o.by[key]
	if e == nil {
		e = &onceValue[V]{}
		o.by[key] = e
	}
	o.mu.Unlock()
	e.once.Do(func() { e.v, e.err = compute() })
	return e.v, e.err
}

func (o *onceEach[V]) forget() {
	o.mu.Lock()
	o.by = nil
	o.mu.Unlock()
}

// layouts reads each recipe's OCI layout in out/ once per run: a no-op
// run checks every cell's image there, and a layout holds all the cells
// of its recipe. The layouts are written after the cells' steps, so
// what it read stays true while they run.
type layouts struct {
	read onceEach[[]image.Entry] // by layout directory
}

// forget drops what was read: a new run reads the layouts it wrote.
func (l *layouts) forget() { l.read.forget() }

// lookup is image.Lookup of the layout at dir, read once.
func (l *layouts) lookup(dir, refName, platform string) (image.Image, error) {
	entries, err := l.read.get(dir, func() ([]image.Entry, error) { return image.ReadLayout(dir) })
	if err != nil {
		return nil, err
	}
	return image.Find(entries, dir, refName, platform)
}
