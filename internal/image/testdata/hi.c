#include <stdio.h>
int main(void) { puts("hi from scratch"); return 0; }
