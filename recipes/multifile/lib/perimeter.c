#include "geometry.h"

static long absl(long v) { return v < 0 ? -v : v; }

long perimeter_manhattan(const struct point *poly, int n) {
    long acc = 0;
    for (int i = 0; i < n; i++) {
        const struct point *a = &poly[i], *b = &poly[(i + 1) % n];
        acc += absl(b->x - a->x) + absl(b->y - a->y);
    }
    return acc;
}
