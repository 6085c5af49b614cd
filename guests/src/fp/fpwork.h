/* Double-precision workload shared by the fp64 guest and its host twin. */
#ifndef FPWORK_H
#define FPWORK_H
/* Runs every workload, writing text through `out` (one call per line). */
void fp_main(void (*out)(const char *line));
/* The benchmark: n-body for 2000 * reps steps, `reps` matrix products (the last printed), the vector loops. */
void fp_bench(unsigned reps, void (*out)(const char *line));
#endif
