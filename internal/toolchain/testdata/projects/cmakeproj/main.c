#include <stdio.h>

int main(void) {
	printf("cmake from %s\n", __FILE__);
	return 0;
}
