#include <math.h>
#include <pthread.h>
#include <stdio.h>

static void *root(void *arg) {
	double *x = arg;
	*x = sqrt(*x) + cbrt(*x);
	return NULL;
}

int main(int argc, char **argv) {
	(void)argv;
	double x = 64.0 * argc;
	pthread_t t;
	if (pthread_create(&t, NULL, root, &x) != 0 || pthread_join(t, NULL) != 0) {
		return 1;
	}
	printf("hello from math %.0f\n", x);
	return 0;
}
