#include <stdio.h>
#include "config.h"

int main(void) {
	printf("autotools for %s from %s\n", HOST, __FILE__);
	return 0;
}
