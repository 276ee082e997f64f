/* Computes a few values with libm and prints them with fixed precision. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    /* volatile keeps the compiler from folding the calls into constants,
       so the program really links against libm. */
    volatile double x = argc > 1 ? atof(argv[1]) : 2.0;
    printf("sqrt(%.1f) = %.6f\n", x, sqrt(x));
    printf("exp(%.1f) = %.6f\n", x, exp(x));
    printf("log(%.1f) = %.6f\n", x, log(x));
    printf("cos(pi/3) = %.6f\n", cos(acos(-1.0) / 3.0));
    printf("hypot(3, 4) = %.6f\n", hypot(3.0, 4.0));
    return 0;
}
