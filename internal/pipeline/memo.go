package pipeline

import (
	"sync"

	"github.com/fromscratch/fromscratch/internal/image"
)

// layouts reads each recipe's OCI layout in out/ once per run: a no-op
// run checks every cell's image there, and a layout holds all the cells
// of its recipe. The layouts are written after the cells' steps, so
// what it read stays true while they run.
type layouts struct {
	mu   sync.Mutex
	read map[string]*layoutRead // by layout directory
}

type layoutRead struct {
	once    sync.Once
	entries []image.Entry
	err     error
}

// forget drops what was read: a new run reads the layouts it wrote.
func (l *layouts) forget() {
	l.mu.Lock()
	l.read = nil
	l.mu.Unlock()
}

// lookup is image.Lookup of the layout at dir, read once.
func (l *layouts) lookup(dir, refName, platform string) (image.Image, error) {
	l.mu.Lock()
	if l.read == nil {
		l.read = map[string]*layoutRead{}
	}
	lr := l.read[dir]
	if lr == nil {
		lr = &layoutRead{}
		l.read[dir] = lr
	}
	l.mu.Unlock()
	lr.once.Do(func() { lr.entries, lr.err = image.ReadLayout(dir) })
	if lr.err != nil {
		return nil, lr.err
	}
	return image.Find(lr.entries, dir, refName, platform)
}
