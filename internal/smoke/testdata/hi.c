/* hi is the smoke tests' program: it prints a line and, given an argument, prints it and exits
 * with it as the code; "sleep" makes it sleep for a minute instead. Built by the tests with
 * `gcc -static -o hi hi.c` (and the aarch64/riscv64 cross compilers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	printf("hello from smoke\n");
	if (argc < 2)
		return 0;
	if (strcmp(argv[1], "sleep") == 0) {
		fflush(stdout);
		sleep(60);
		return 0;
	}
	printf("code %s\n", argv[1]);
	return atoi(argv[1]);
}
