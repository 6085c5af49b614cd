/* Double-precision workload shared by the fp64 guest and its host twin. */
#ifndef FPWORK_H
#define FPWORK_H
/* Runs every workload, writing text through `out` (one call per line). */
void fp_main(void (*out)(const char *line));
#endif
