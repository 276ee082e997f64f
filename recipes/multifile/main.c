/* Uses the recipe's own static library libgeometry.a, built from lib/area.c and lib/perimeter.c. */
#include <stdio.h>

#include "geometry.h"
#include "report.h"

int main(void) {
    struct point square[] = {{0, 0}, {4, 0}, {4, 4}, {0, 4}};
    struct point ell[] = {{0, 0}, {6, 0}, {6, 2}, {2, 2}, {2, 5}, {0, 5}};
    report("square", area_twice(square, 4), perimeter_manhattan(square, 4));
    report("L-shape", area_twice(ell, 6), perimeter_manhattan(ell, 6));
    return 0;
}
