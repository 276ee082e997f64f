#include "geometry.h"

/* Shoelace formula: twice the signed area of a simple polygon. */
long area_twice(const struct point *poly, int n) {
    long acc = 0;
    for (int i = 0; i < n; i++) {
        const struct point *a = &poly[i], *b = &poly[(i + 1) % n];
        acc += a->x * b->y - b->x * a->y;
    }
    return acc < 0 ? -acc : acc;
}
