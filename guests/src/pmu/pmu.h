/* Figures shared by the PMU guest's C and assembly (pmu.c, pmu_asm.S). */
#ifndef NESTVM_PMU_GUEST_H
#define NESTVM_PMU_GUEST_H
/* Iterations of the CPL 3 loop in pmu_user_code. */
#define PMU_USER_LOOPS 1000
/* Instructions after the enabling WRMSR (itself included) at which the PMI counter wraps. */
#define PMU_PMI_AT 37
#endif
