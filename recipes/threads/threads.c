/* Four threads sum disjoint ranges; main joins them and prints a
   deterministic result whatever the scheduling. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define PER_THREAD 250000ULL

struct part {
    unsigned long long from, to, sum;
};

static void *sum_range(void *arg) {
    struct part *p = arg;
    for (unsigned long long i = p->from; i < p->to; i++)
        p->sum += i;
    return NULL;
}

int main(void) {
    pthread_t tid[NTHREADS];
    struct part parts[NTHREADS];
    unsigned long long total = 0;

    for (int i = 0; i < NTHREADS; i++) {
        parts[i] = (struct part){i * PER_THREAD, (i + 1) * PER_THREAD, 0};
        if (pthread_create(&tid[i], NULL, sum_range, &parts[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(tid[i], NULL);
        printf("thread %d: %llu\n", i, parts[i].sum);
        total += parts[i].sum;
    }
    printf("total: %llu\n", total);
    return 0;
}
