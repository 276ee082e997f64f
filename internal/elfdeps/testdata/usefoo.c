#include <stdio.h>

int foo(void);

int main(void) {
	printf("hello from foo %d\n", foo());
	return 0;
}
