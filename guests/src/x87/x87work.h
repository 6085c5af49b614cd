/* long double workloads shared by the x87 guest and its host twin. */
#ifndef X87WORK_H
#define X87WORK_H
typedef void (*Out)(const char *);
void x87_main(Out out);
#endif
