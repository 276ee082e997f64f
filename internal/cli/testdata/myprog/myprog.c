#include <stdio.h>

int main(void) {
	printf("Hello from myprog\n");
	return 0;
}
