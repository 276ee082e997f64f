#include <stdio.h>

int main(void) {
	printf("make from %s\n", __FILE__);
	return 0;
}
