/* hi is the smoke tests' program: it prints a line and, given an argument, prints it and exits
 * with it as the code. Other arguments:
 *   sleep     sleep for a minute instead
 *   segv      crash with SIGSEGV (writing to address 0)
 *   print N   print N more bytes cycling through the UTF-8 text "smoke é\n" and exit with 0
 *   cat       copy stdin to stdout until its end, then exit with 0
 * Built by the tests with `gcc -static -O2 -o hi hi.c` (and the aarch64/arm/riscv64 cross
 * compilers). */
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
	if (strcmp(argv[1], "segv") == 0) {
		fflush(stdout);
		*(volatile int *)0 = 1;
		return 0;
	}
	if (strcmp(argv[1], "cat") == 0) {
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
			if (fwrite(buf, 1, n, stdout) != n)
				return 1;
		return ferror(stdin) ? 1 : 0;
	}
	if (strcmp(argv[1], "print") == 0 && argc > 2) {
		static const char pattern[] = "smoke \xc3\xa9\n";
		const size_t plen = sizeof pattern - 1;
		char buf[65536];
		long n = atol(argv[2]);
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = pattern[i % plen];
		/* sizeof buf is a multiple of plen, so every chunk starts at the pattern's start. */
		for (long left = n; left > 0;) {
			size_t chunk = left < (long)(sizeof buf / plen * plen) ? (size_t)left : sizeof buf / plen * plen;
			if (fwrite(buf, 1, chunk, stdout) != chunk)
				return 1;
			left -= (long)chunk;
		}
		return 0;
	}
	printf("code %s\n", argv[1]);
	return atoi(argv[1]);
}
