/* The static-glibc NSS pitfall. getpwnam() and getaddrinfo() go through
   glibc's Name Service Switch, which loads libnss_*.so modules at run time
   even in a static binary (the linker warns about it). In a scratch image
   there is no /etc/passwd, /etc/nsswitch.conf or /etc/hosts, so what each
   libc does differs: this program prints what happened instead of failing,
   and the size matrix records the output of every cell. */
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
    struct passwd *pw = getpwnam("root");
    if (pw)
        printf("getpwnam(root): uid=%ld\n", (long)pw->pw_uid);
    else
        printf("getpwnam(root): not found\n");

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo("localhost", "80", &hints, &res);
    if (rc == 0) {
        printf("getaddrinfo(localhost): resolved\n");
        freeaddrinfo(res);
    } else {
        printf("getaddrinfo(localhost): error\n");
    }

    /* A numeric host never needs NSS: this line is the same everywhere. */
    rc = getaddrinfo("127.0.0.1", "80", &hints, &res);
    printf("getaddrinfo(127.0.0.1): %s\n", rc == 0 ? "resolved" : "error");
    if (rc == 0) freeaddrinfo(res);
    return 0;
}
