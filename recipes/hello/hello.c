#include <stdio.h>

int main(void) {
    printf("Hello My Container! \n");
    return 0;
}
