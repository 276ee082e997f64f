#ifndef GEOMETRY_H
#define GEOMETRY_H

struct point {
    long x, y;
};

long area_twice(const struct point *poly, int n);
long perimeter_manhattan(const struct point *poly, int n);

#endif
