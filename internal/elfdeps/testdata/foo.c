int bar(void);

int foo(void) { return 40 + bar(); }
